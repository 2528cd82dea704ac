using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Eviction;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Execution;

/// <summary>
/// maxmemory-policy on the leader, as Redis's performEvictions: while the memory used is above maxmemory and the policy
/// evicts, the leader chooses keys (KeyValueStore.EvictionCandidates: Redis's sampled LRU and LFU, random, or nearest
/// expiry) and proposes them as an Evict entry, which every replica applies alike (each key deleted with an
/// <c>evicted</c> event). It runs when a write finds memory over the limit (a pipelined write goes on meanwhile, in its
/// order, unless the last eviction found nothing left to evict: then it is refused with -OOM as under noeviction; a
/// write run alone waits for it) and every <see cref="NodeOptions.ExpiryCycleMs"/>, so a lowered maxmemory takes effect
/// without a write. One eviction runs at a time; nothing while CLIENT PAUSE holds writes.
/// <para>
/// Memory is the .NET heap, as INFO's used_memory, less the gRPC Watch history (UsedBytes). An evicted key's memory comes back at a full garbage collection, so
/// until then the estimated bytes of the keys evicted (MEMORY USAGE's estimate) are taken off the heap's figure; a full
/// collection ends that correction. The heap also holds garbage until a collection, so before evicting the leader asks for
/// a full one (at most once a second, in the background, waiting for it at most a second) and measures again.
/// The leader's heap decides, as Redis's master decides for its replicas.
/// </para>
/// </summary>
internal sealed partial class MemoryEvictor(
    RaftHost raft, WriteBatcher batcher, LeaderClock clock, DiskSpaceGuard disk, Resp.ClientRegistry clients, PubSub.WatchHub watch,
    IOptions<NodeOptions> options, ILogger<MemoryEvictor> logger)
    : BackgroundService
{
    private readonly NodeOptions _options = options.Value;
    private static readonly TimeSpan EvictionBudget = TimeSpan.FromMilliseconds(50);
    private readonly SemaphoreSlim _running = new(1, 1);
    private long _evicted;
    private long _pendingBytes;
    private int _fullCollections = GC.CollectionCount(GC.MaxGeneration);

    private int _exhausted;
    private int _kicked;

    /// <summary>
    /// Whether the last eviction ended with memory still over maxmemory and nothing left that the policy may evict: a
    /// write is then refused at once (-OOM), as Redis refuses it when its eviction fails.
    /// </summary>
    public bool Exhausted => Volatile.Read(ref _exhausted) != 0;

    /// <summary>
    /// Starts an eviction in the background unless one is running: for a pipelined write over maxmemory, which goes on
    /// at once (its order among the connection's writes kept) while the eviction runs, as Redis lets writes through while
    /// its eviction is still running (EVICT_RUNNING).
    /// </summary>
    public void Kick()
    {
        if (Interlocked.CompareExchange(ref _kicked, 1, 0) != 0)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await EvictAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogCycleFailed(e);
            }
            finally
            {
                Volatile.Write(ref _kicked, 0);
            }
        });
    }

    /// <summary>Keys deleted by Evict entries this node proposed.</summary>
    public long EvictedKeys => Interlocked.Read(ref _evicted);

    /// <summary>Whether the policy evicts (anything but noeviction) and maxmemory is set.</summary>
    public bool Evicts => raft.IsStarted && raft.StateMachine.MaxMemoryBytes > 0 && raft.StateMachine.EvictionPolicy != EvictionPolicy.NoEviction;

    /// <summary>
    /// The memory that counts against maxmemory: the heap, less the history of changes kept for gRPC Watch (as Redis
    /// does not count its replication backlog and AOF buffers, freeMemoryGetNotCountedMemory) and less what evicted keys
    /// still hold until a full collection.
    /// </summary>
    public long UsedBytes()
    {
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        var collections = GC.CollectionCount(GC.MaxGeneration);
        if (collections != Volatile.Read(ref _fullCollections))
        {
            Volatile.Write(ref _fullCollections, collections);
            Interlocked.Exchange(ref _pendingBytes, 0);
        }

        return Math.Max(0, heap - NotCountedBytes - Interlocked.Read(ref _pendingBytes));
    }

    /// <summary>The heap maxmemory does not count: the gRPC Watch history (INFO's mem_not_counted_for_evict).</summary>
    public long NotCountedBytes => watch.HeldBytes;

    /// <summary>Whether maxmemory is set and the memory used is above it.</summary>
    public bool IsOver()
    {
        var max = raft.IsStarted ? raft.StateMachine.MaxMemoryBytes : 0;
        return max > 0 && UsedBytes() > max;
    }

    /// <summary>
    /// Evicts until the memory used is at most maxmemory, if this node leads and the policy evicts; true when memory is
    /// then within maxmemory (or none is set), false when it stays above (noeviction, nothing left that the policy may
    /// evict, not the leader, paused, or an entry that did not commit in time).
    /// </summary>
    public async ValueTask<bool> EvictAsync(CancellationToken token)
    {
        if (!IsOver())
            return true;
        if (!Evicts || !raft.IsLeader || disk.IsLow || clients.Pause.IsActive)
            return false;
        await _running.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var started = TimeProvider.System.GetTimestamp();
            var collected = false;
            while (true)
            {
                // As Redis's eviction time limit: a long eviction goes on in the next cycle, and the write that waited for
                // it proceeds meanwhile (Redis's EVICT_RUNNING is not out of memory).
                if (TimeProvider.System.GetElapsedTime(started) >= EvictionBudget)
                    return true;
                var need = UsedBytes() - raft.StateMachine.MaxMemoryBytes;
                if (raft.StateMachine.MaxMemoryBytes <= 0 || need <= 0)
                {
                    Volatile.Write(ref _exhausted, 0);
                    return true;
                }

                if (!Evicts || !raft.IsLeader || clients.Pause.IsActive)
                    return false;

                // The heap holds garbage until a collection: before the first eviction since the last full one, a full
                // collection (in the background) shows what is really held, and perhaps that nothing need go.
                if (!collected && TimeProvider.System.GetElapsedTime(_lastCollection) >= CollectionInterval)
                {
                    collected = true;
                    await FullCollectionAsync(token).ConfigureAwait(false);
                    continue;
                }

                var now = clock.Now();
                var seed = (ulong)Random.Shared.NextInt64();
                var (keys, scope) = await raft.StateMachine.ReadAsync(
                    s => (s.EvictionCandidates(now, seed, need, Math.Max(1, _options.ExpiryBatchKeys)), s.EvictScope), token).ConfigureAwait(false);
                if (keys.Count == 0)
                {
                    Volatile.Write(ref _exhausted, 1);
                    return false;
                }

                var arguments = new byte[keys.Count + 1][];
                arguments[0] = scope;
                long bytes = 0;
                for (var i = 0; i < keys.Count; i++)
                {
                    arguments[i + 1] = keys[i].Key;
                    bytes += keys[i].Bytes;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(_options.CommandTimeoutMs);
                var reply = await batcher.WriteAsync(new LogCommand(CommandId.Evict, now, 0, arguments), timeout.Token).ConfigureAwait(false);
                if (reply is not IntegerReply evicted)
                    return false;
                Volatile.Write(ref _exhausted, 0);
                Interlocked.Add(ref _evicted, evicted.Value);
                Interlocked.Add(ref _pendingBytes, bytes);
                LogEvicted(evicted.Value, need);
            }
        }
        finally
        {
            _running.Release();
        }
    }

    // At most one full collection asked for per second: writes over maxmemory ask for eviction one after another.
    private static readonly TimeSpan CollectionInterval = TimeSpan.FromSeconds(1);
    private long _lastCollection;

    private async Task FullCollectionAsync(CancellationToken token)
    {
        _lastCollection = TimeProvider.System.GetTimestamp();
        var before = GC.CollectionCount(GC.MaxGeneration);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false, compacting: false);
        for (var waited = 0; waited < 200 && GC.CollectionCount(GC.MaxGeneration) == before; waited++)
            await Task.Delay(5, token).ConfigureAwait(false);
        UsedBytes(); // takes the new count, ending the correction for keys evicted before it
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, _options.ExpiryCycleMs)));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (Evicts && raft.IsLeader)
                    await EvictAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogCycleFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Evicted {Count} keys (maxmemory-policy) to free about {Bytes} bytes")]
    private partial void LogEvicted(long count, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Eviction cycle failed")]
    private partial void LogCycleFailed(Exception exception);
}
