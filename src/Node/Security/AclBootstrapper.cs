using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Security;

/// <summary>
/// Bootstraps the replicated users of a brand-new cluster from configuration (RequirePass, AclFile): a leader that
/// finds the table never bootstrapped proposes one AclBootstrap entry, retried while it leads until one applies.
/// The entry applies once; a second leader's (or a retried one) changes nothing, so every replica ends with the same
/// users whichever leader got there first.
/// </summary>
internal sealed partial class AclBootstrapper : IHostedService, IDisposable
{
    private readonly RaftHost _raft;
    private readonly WriteBatcher _batcher;
    private readonly LeaderClock _clock;
    private readonly AccessControl _access;
    private readonly ILogger _logger;

    public AclBootstrapper(RaftHost raft, WriteBatcher batcher, LeaderClock clock, AccessControl access, ILogger<AclBootstrapper> logger)
    {
        _raft = raft;
        _batcher = batcher;
        _clock = clock;
        _access = access;
        _logger = logger;
        if (access.BootstrapEntry is not null)
            raft.LeaderEpochChanged += OnLeaderEpochChanged;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void OnLeaderEpochChanged(bool isLeader, CancellationToken leadership)
    {
        if (isLeader)
            _ = BootstrapAsync(leadership);
    }

    private async Task BootstrapAsync(CancellationToken leadership)
    {
        while (!leadership.IsCancellationRequested && !_raft.StateMachine.Acl.Bootstrapped)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(leadership);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var reply = await _batcher.WriteAsync(new LogCommand(CommandId.AclBootstrap, _clock.Now(), 0, _access.BootstrapEntry!), timeout.Token)
                    .ConfigureAwait(false);
                if (reply is IntegerReply { Value: 1 })
                    LogBootstrapped(_raft.StateMachine.Acl.Ordered.Count);
                else if (reply is ErrorReply error)
                    LogRefused(error.Message);
                await Task.Delay(200, leadership).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Timed out (tried again while this node leads) or leadership ended (the next leader bootstraps).
            }
        }
    }

    public void Dispose() => _raft.LeaderEpochChanged -= OnLeaderEpochChanged;

    [LoggerMessage(Level = LogLevel.Information, Message = "ACL users bootstrapped from configuration ({Users} users)")]
    private partial void LogBootstrapped(int users);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ACL bootstrap entry refused: {Error}")]
    private partial void LogRefused(string error);
}
