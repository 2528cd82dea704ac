using RaftKV.Node.Raft;

namespace RaftKV.Node.Execution;

/// <summary>
/// The leader's clock, in Unix milliseconds, for the timestamps of the entries it proposes and the "now" of the
/// reads it serves. It runs at the rate of the monotonic clock from the last wall-clock reading it adopted, and it
/// never goes backwards:
/// - a wall clock that jumps back is ignored (time keeps running from where it was), so a key a read has seen
///   expire stays expired, and TTLs set afterwards still expire on schedule;
/// - a wall clock that jumps forward is adopted, so keys expire early by the jump, as Redis's would;
/// - it is never behind the state machine's clock (the last applied entry's timestamp, which a previous leader's
///   clock may have set ahead of ours).
/// It keeps time in ticks and rounds down to milliseconds only in its answer: an anchor or an elapsed time rounded to
/// milliseconds lost up to 2 ms per re-anchoring, so 500 ms after a timestamp it could answer 499 ms later.
/// </summary>
internal sealed class LeaderClock
{
    private readonly Func<long> _appliedMs;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private long _anchorTicks = long.MinValue;
    private long _anchorTimestamp;
    private long _lastTicks;

    public LeaderClock(RaftHost raft, TimeProvider clock)
        : this(() => raft.IsStarted ? raft.StateMachine.StoreNow : 0, clock)
    {
    }

    /// <param name="appliedMs">The state machine's clock: the last applied entry's timestamp, Unix milliseconds.</param>
    /// <param name="clock">The wall clock and the monotonic clock.</param>
    internal LeaderClock(Func<long> appliedMs, TimeProvider clock)
    {
        _appliedMs = appliedMs;
        _clock = clock;
    }

    public long Now()
    {
        var applied = _appliedMs() * TimeSpan.TicksPerMillisecond;
        var wall = _clock.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var timestamp = _clock.GetTimestamp();
        lock (_lock)
        {
            var running = _anchorTicks == long.MinValue
                ? wall
                : _anchorTicks + _clock.GetElapsedTime(_anchorTimestamp, timestamp).Ticks;
            var now = Math.Max(Math.Max(running, wall), Math.Max(applied, _lastTicks));
            if (now != running || _anchorTicks == long.MinValue)
            {
                // Adopt the later reading (a forward jump, another leader's timestamps) and run on from it.
                _anchorTicks = now;
                _anchorTimestamp = timestamp;
            }

            _lastTicks = now;
            return now / TimeSpan.TicksPerMillisecond;
        }
    }
}
