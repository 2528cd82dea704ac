using System.Globalization;
using RaftKV.Node.Raft;

namespace RaftKV.Node.PubSub;

/// <summary>
/// Hooks the <see cref="TrackingTable"/> to the applier (every node invalidates its own clients as it applies) and, ten
/// times a second while a client tracks (Redis's serverCron), applies tracking-table-max-keys, a replicated parameter,
/// so a lowered bound takes effect without a read.
/// </summary>
internal sealed partial class TrackingDelivery(RaftHost raft, TrackingTable table, ILogger<TrackingDelivery> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        raft.StateMachine.KeyChanges = table;
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
                var configured = await raft.StateMachine.ReadAsync(static store => store.Config.Get("tracking-table-max-keys"), stoppingToken).ConfigureAwait(false);
                if (long.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var max))
                    table.MaxKeys = max;
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
