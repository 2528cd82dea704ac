using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Execution;

/// <summary>
/// Active expiry, on the leader only. Reads already hide expired keys; this reclaims their memory. Every
/// <see cref="NodeOptions.ExpiryCycleMs"/> the leader takes the earliest-expired keys (at most
/// <see cref="NodeOptions.ExpiryBatchKeys"/>) and proposes them as one ExpireSweep entry; every replica deletes those
/// that are still expired at the entry's time, so followers never delete by their own clocks. As in Redis's active
/// expire cycle the effort adapts: a full batch means more are waiting, and the next batch follows at once, until
/// the cycle has used a quarter of its period. While CLIENT PAUSE (WRITE or ALL) holds this node's clients, it proposes
/// nothing, as Redis skips active expiry during a pause: expired keys stay hidden from reads until it ends.
/// </summary>
internal sealed partial class ExpirySweeper(
    RaftHost raft, WriteBatcher batcher, LeaderClock clock, DiskSpaceGuard disk, Resp.ClientRegistry clients, Server.LatencyMonitor latency,
    IOptions<NodeOptions> options, ILogger<ExpirySweeper> logger)
    : BackgroundService
{
    private readonly NodeOptions _options = options.Value;
    private long _swept;
    private long _sweeps;

    /// <summary>Keys deleted by sweeps this node proposed (for INFO stats, as Redis's expired_keys).</summary>
    public long ExpiredKeys => Interlocked.Read(ref _swept);

    /// <summary>Sweep entries this node proposed.</summary>
    public long Sweeps => Interlocked.Read(ref _sweeps);

    /// <summary>
    /// Whether this node proposes sweeps when it leads (DEBUG SET-ACTIVE-EXPIRE, as Redis's active_expire_enabled): off,
    /// expired keys stay stored, hidden from reads, until a sweep or a write removes them.
    /// </summary>
    public bool Enabled { get; set; } = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(1, _options.ExpiryCycleMs));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await CycleAsync(period / 4, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogCycleFailed(e);
            }
        }
    }

    /// <summary>One cycle: sweeps while batches come back full and the time budget lasts.</summary>
    internal async Task CycleAsync(TimeSpan budget, CancellationToken token)
    {
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await SweepAsync(started, budget, token).ConfigureAwait(false);
        }
        finally
        {
            // The latency monitor's expire-cycle event: the cycle's time, its commits included.
            if (raft.IsStarted)
                latency.Sample("expire-cycle", (long)TimeProvider.System.GetElapsedTime(started).TotalMilliseconds, raft.StateMachine.LatencyMonitorThreshold);
        }
    }

    private async Task SweepAsync(long started, TimeSpan budget, CancellationToken token)
    {
        while (Enabled && raft.IsStarted && raft.IsLeader && !disk.IsLow && !clients.Pause.IsActive)
        {
            var now = clock.Now();
            var keys = await raft.StateMachine.ReadAsync(s => s.ExpiredKeys(now, _options.ExpiryBatchKeys), token).ConfigureAwait(false);
            if (keys.Count == 0)
                return;

            if (!await ProposeAsync(now, [.. keys], token).ConfigureAwait(false))
                return; // leadership lost or timed out: the next cycle (of whoever leads) starts over

            Interlocked.Increment(ref _sweeps);
            if (keys.Count < _options.ExpiryBatchKeys || TimeProvider.System.GetElapsedTime(started) >= budget)
                return;
        }
    }

    /// <summary>
    /// Redis's lazy expiry: a client's read on the leader found <paramref name="keys"/> stored but expired; they are
    /// deleted (an ExpireSweep entry, deleting those still expired at its time) before the read is answered, so what the
    /// client does next (DBSIZE, INFO expired_keys, a keyspace notification it waits for) sees them gone. Nothing while
    /// this node is paused (CLIENT PAUSE), as Redis; at most the command timeout, and an entry that fails changes nothing
    /// the read answered (the active sweep deletes them later). At most <see cref="NodeOptions.ExpiryBatchKeys"/> keys, as
    /// a sweep takes: a script that read more leaves the rest to the sweeps. Returns whether the entry applied (its apply
    /// invalidated the keys for client tracking; otherwise the caller does).
    /// </summary>
    public async ValueTask<bool> ExpireReadAsync(List<byte[]> keys, CancellationToken token)
    {
        if (keys.Count == 0 || !raft.IsStarted || !raft.IsLeader || disk.IsLow || clients.Pause.IsActive)
            return false;
        var distinct = keys.DistinctBy(static k => Convert.ToHexString(k)).Take(Math.Max(1, _options.ExpiryBatchKeys)).ToArray();
        return await ProposeAsync(clock.Now(), distinct, token).ConfigureAwait(false);
    }

    // One ExpireSweep entry of keys, within the command timeout: whether it applied (the keys it deleted are counted).
    private async ValueTask<bool> ProposeAsync(long now, byte[][] keys, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.CommandTimeoutMs);
        var reply = await batcher.WriteAsync(new LogCommand(CommandId.ExpireSweep, now, 0, keys), timeout.Token).ConfigureAwait(false);
        if (reply is not IntegerReply deleted)
            return false;
        Interlocked.Add(ref _swept, deleted.Value);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry sweep failed")]
    private partial void LogCycleFailed(Exception exception);
}
