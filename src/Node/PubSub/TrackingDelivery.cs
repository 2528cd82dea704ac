using RaftKV.Node.Raft;

namespace RaftKV.Node.PubSub;

/// <summary>
/// Hooks the <see cref="TrackingTable"/> to the applier (every node invalidates its own clients as it applies) and to the
/// applied tracking-table-max-keys, and, ten times a second while a client tracks (Redis's serverCron), evicts past that
/// bound, so a lowered bound takes effect without a command; DEBUG PAUSE-CRON stops that until resumed, as in Redis.
/// </summary>
internal sealed partial class TrackingDelivery(RaftHost raft, TrackingTable table, ILogger<TrackingDelivery> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        raft.StateMachine.KeyChanges = table;
        // Read at each use; the default before the node has started (the state machine is kept after its disposal).
        table.MaxKeysSource = () => raft.IsStarted ? raft.StateMachine.TrackingTableMaxKeys : 1_000_000;
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!table.IsListening || !raft.IsStarted)
                continue;
            try
            {
                if (!table.PeriodicEvictionPaused)
                    table.Evict();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogEvictFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounding the client tracking table failed")]
    private partial void LogEvictFailed(Exception e);
}
