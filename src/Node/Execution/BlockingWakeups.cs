using RaftKV.Node.Raft;

namespace RaftKV.Node.Execution;

/// <summary>Hooks the blocked-client registry to the applier.</summary>
internal sealed class BlockingWakeups(RaftHost raft, BlockingWaiters waiters) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        raft.StateMachine.Touched = waiters.Touched;
        raft.StateMachine.TouchedAll = waiters.TouchedAll;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
