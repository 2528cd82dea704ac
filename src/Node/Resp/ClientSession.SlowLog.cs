using RaftKV.Protocol.Commands;

namespace RaftKV.Node.Resp;

/// <summary>SLOWLOG and the latency monitor: what this session's commands took.</summary>
internal sealed partial class ClientSession
{
    /// <summary>Whether SLOWLOG or the latency monitor records anything now (slowlog-log-slower-than not negative, latency-monitor-threshold set).</summary>
    private bool SlowLogOn => _services.Raft.IsStarted
                              && (_services.Raft.StateMachine.Slowlog.SlowerThanMicros >= 0 || _services.Raft.StateMachine.LatencyMonitorThreshold > 0);

    /// <summary>
    /// SLOWLOG: records a command of this client that took <paramref name="ticks"/> (Stopwatch ticks) if that is slow:
    /// for a write this leader applied, its apply, for a read it ran, the read itself (Redis times execution, not I/O:
    /// a write's commit, a read's wait for the state or a barrier, the lazy expiry after it); otherwise the time from its
    /// start to its reply, less the time it was blocked.
    /// </summary>
    private void RecordIfSlow(CommandSpec spec, byte[][] arguments, long ticks)
    {
        // A relayed command is recorded on the follower its client is connected to.
        if (IsForwarded || !_services.Raft.IsStarted)
            return;
        var (slowerThan, maxLen) = _services.Raft.StateMachine.Slowlog;
        var micros = (long)System.Diagnostics.Stopwatch.GetElapsedTime(0, Math.Max(0, ticks)).TotalMicroseconds;
        _services.SlowLog.Record(spec, arguments, micros, Address, Name ?? "", slowerThan, maxLen);
        // The latency monitor's command events, timed alike (Redis: fast-command for a command flagged fast).
        _services.Latency.Sample((spec.Flags & CommandFlags.Fast) != 0 ? "fast-command" : "command", micros / 1000,
            _services.Raft.StateMachine.LatencyMonitorThreshold);
    }
}
