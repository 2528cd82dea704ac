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
/// </summary>
internal sealed class LeaderClock(RaftHost raft, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private long _anchorWallMs = long.MinValue;
    private long _anchorTimestamp;
    private long _last;

    public long Now()
    {
        var applied = raft.IsStarted ? raft.StateMachine.StoreNow : 0;
        var wall = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var timestamp = clock.GetTimestamp();
        lock (_lock)
        {
            var running = _anchorWallMs == long.MinValue
                ? wall
                : _anchorWallMs + (long)clock.GetElapsedTime(_anchorTimestamp, timestamp).TotalMilliseconds;
            var now = Math.Max(Math.Max(running, wall), Math.Max(applied, _last));
            if (now != running)
            {
                // Adopt the later reading (a forward jump, another leader's timestamps) and run on from it.
                _anchorWallMs = now;
                _anchorTimestamp = timestamp;
            }

            _last = now;
            return now;
        }
    }
}
