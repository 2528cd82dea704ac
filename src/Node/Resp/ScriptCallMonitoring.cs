using RaftKV.Node.Raft;

namespace RaftKV.Node.Resp;

/// <summary>Hooks MONITOR to the scripts the state machine runs: their commands show as <c>[0 lua]</c> lines.</summary>
internal sealed class ScriptCallMonitoring(RaftHost raft, MonitorFeed monitors) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        raft.StateMachine.ScriptCallObserver = arguments =>
        {
            if (!monitors.IsEmpty)
                monitors.FeedScriptCall(arguments);
        };
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
