using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Execution;

/// <summary>
/// Lock leases across leader changes, as etcd does on election: a new leader's first act for locks is a
/// LockLeaseExtend entry, which gives every held lock at least its full TTL again from the new leader's time. Until
/// that entry has committed, this leader answers no lock write, so it never grants a lock whose previous holder's
/// lease may still be running by the old leader's reckoning (its clock may run ahead, and the election took time).
/// </summary>
internal sealed partial class LockLeases : IHostedService, IDisposable
{
    private readonly RaftHost _raft;
    private readonly WriteBatcher _batcher;
    private readonly LeaderClock _clock;
    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private TaskCompletionSource _extended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LockLeases(RaftHost raft, WriteBatcher batcher, LeaderClock clock, IOptions<NodeOptions> options, ILogger<LockLeases> logger)
    {
        _raft = raft;
        _batcher = batcher;
        _clock = clock;
        _options = options.Value;
        _logger = logger;
        raft.LeaderEpochChanged += OnLeaderEpochChanged;
    }

    /// <summary>
    /// Completes once this leadership's LockLeaseExtend entry has committed; false if this node stops leading (or the
    /// token fires) first. A leadership change while waiting starts the wait over on the new epoch's extension.
    /// </summary>
    public async ValueTask<bool> WaitExtendedAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested && _raft.IsLeader)
        {
            var epoch = _raft.LeaderChangeToken;
            var extended = Volatile.Read(ref _extended).Task;
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(token, epoch);
            try
            {
                await extended.WaitAsync(bound.Token).ConfigureAwait(false);
                if (!epoch.IsCancellationRequested)
                    return _raft.IsLeader;
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // The epoch changed under us: wait for the new one's extension, if this node still leads.
            }
        }

        return false;
    }

    // Every epoch gets a fresh gate, so nothing completed in an earlier leadership lets a lock write through.
    private void OnLeaderEpochChanged(bool isLeader, CancellationToken epoch)
    {
        var extended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _extended, extended);
        if (isLeader)
            _ = ExtendAsync(extended, epoch);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ExtendAsync(TaskCompletionSource extended, CancellationToken leadership)
    {
        // Retried while this leadership lasts: an entry that timed out may still commit, and extending twice only
        // lengthens leases, which is safe.
        while (!leadership.IsCancellationRequested)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(leadership);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            var reply = await _batcher.WriteAsync(new LogCommand(CommandId.LockLeaseExtend, _clock.Now(), 0, []), timeout.Token).ConfigureAwait(false);
            if (reply is IntegerReply count)
            {
                if (count.Value > 0)
                    LogExtended(count.Value);
                extended.TrySetResult();
                return;
            }

            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose() => _raft.LeaderEpochChanged -= OnLeaderEpochChanged;

    [LoggerMessage(Level = LogLevel.Information, Message = "New term: extended {Count} lock leases to their full TTL")]
    private partial void LogExtended(long count);
}
