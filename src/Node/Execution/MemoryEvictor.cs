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
/// <c>evicted</c> event). It runs every <see cref="NodeOptions.ExpiryCycleMs"/> (so a lowered maxmemory takes effect
/// without a write) and when a command finds memory over the limit: a command run alone waits for it (reads too, as in
/// Redis); a pipelined write goes on in its order while it runs (over by more than <see cref="Slack"/>, the connection
/// first waits for it), and is refused with -OOM as under noeviction once the last eviction found nothing left to
/// evict. One eviction runs at a time; CLIENT PAUSE holds it as it holds writes.
/// <para>
/// Memory is the .NET heap as the last collection left it (its size less its free space: garbage made since is not
/// counted, nor data written since, until the next collection), less the gRPC Watch history (<see cref="NotCountedBytes"/>,
/// as Redis leaves out its replication backlog). Older garbage stays until a full collection, so the background cycle
/// first asks for one (in the background, at most once a second) and measures once it has completed; the estimated
/// bytes of keys evicted since are taken off the figure until a full collection that started after them completes.
/// The leader's heap decides, as Redis's master decides for its replicas.
/// </para>
/// </summary>
internal sealed partial class MemoryEvictor(
    RaftHost raft, WriteBatcher batcher, LeaderClock clock, DiskSpaceGuard disk, Resp.ClientRegistry clients, PubSub.WatchHub watch,
    IOptions<NodeOptions> options, ILogger<MemoryEvictor> logger)
    : BackgroundService
{
    private static readonly TimeSpan EvictionBudget = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CollectionInterval = TimeSpan.FromSeconds(1);

    // Keys one Evict entry names at most: as many as the group commit takes writes in a round, so eviction keeps up.
    private const int MaxKeysPerEntry = WriteBatcher.MaxCommands;

    private readonly NodeOptions _options = options.Value;
    private readonly SemaphoreSlim _running = new(1, 1);
    private long _lastCollection;

    // The estimated bytes of keys evicted and not yet reclaimed, each batch with the GC count when its entry had applied:
    // a full collection with a later index (a background one is numbered at its start) that has completed reclaimed them.
    private readonly Lock _pendingLock = new();
    private readonly Queue<(long Bytes, long GcCount)> _pending = new();
    private long _pendingBytes;

    private int _exhausted;
    private long _exhaustedAt = -1;
    private long _exhaustedGc;
    private int _kicked;

    /// <summary>Whether the policy evicts (anything but noeviction) and maxmemory is set.</summary>
    public bool Evicts => raft.IsStarted && raft.StateMachine.MaxMemoryBytes > 0 && raft.StateMachine.EvictionPolicy != EvictionPolicy.NoEviction;

    /// <summary>
    /// Whether the last eviction ended with memory still over maxmemory and nothing left that the policy may evict: a
    /// write is then refused at once (-OOM), as Redis refuses it when its eviction fails.
    /// </summary>
    public bool Exhausted => Volatile.Read(ref _exhausted) != 0;

    /// <summary>
    /// How far over maxmemory pipelined writes still go on without waiting for eviction: a tenth of it, at least 1 MiB.
    /// Beyond it each connection waits for eviction before its next write, so writing cannot outrun eviction.
    /// </summary>
    public long Slack => Math.Max(1L << 20, (raft.IsStarted ? raft.StateMachine.MaxMemoryBytes : 0) / 10);

    /// <summary>The heap maxmemory does not count: the gRPC Watch history (INFO's mem_not_counted_for_evict).</summary>
    public long NotCountedBytes => Gc().NotCounted;

    // What the runtime reported of its collections, read again at most every RefreshTicks: the heap the last completed
    // collection left (size less free space) and the index of the last completed full one. Counts move when a
    // background collection starts, not when it ends, so they cannot tell when to read again; time can. The Watch
    // history's size is read with them, so a write's memory check takes no lock.
    private sealed record GcReading(long ReadAt, long Live, long LastFullGc, long NotCounted);

    private static readonly long RefreshTicks = System.Diagnostics.Stopwatch.Frequency / 100;
    private GcReading? _gc;

    private GcReading Gc()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var reading = Volatile.Read(ref _gc);
        if (reading is not null && now - reading.ReadAt < RefreshTicks)
            return reading;
        var last = GC.GetGCMemoryInfo(GCKind.Any);
        var full = Math.Max(GC.GetGCMemoryInfo(GCKind.Background).Index, GC.GetGCMemoryInfo(GCKind.FullBlocking).Index);
        // Before any collection, the heap as it is.
        var live = last.Index == 0 ? GC.GetTotalMemory(forceFullCollection: false) : last.HeapSizeBytes - last.FragmentedBytes;
        reading = new GcReading(now, live, full, watch.HeldBytes);
        Volatile.Write(ref _gc, reading);
        return reading;
    }

    /// <summary>
    /// The memory that counts against maxmemory (see the remarks): the heap the last collection left (garbage since then
    /// is not counted, nor what was allocated since, until the next collection, at most the gen0 budget away).
    /// </summary>
    public long UsedBytes()
    {
        var reading = Gc();
        return Math.Max(0, reading.Live - reading.NotCounted - PendingBytes());
    }

    /// <summary>How far the memory used is over maxmemory (0 or less: within it, or no maxmemory).</summary>
    public long Overage()
    {
        var max = raft.IsStarted ? raft.StateMachine.MaxMemoryBytes : 0;
        return max > 0 ? UsedBytes() - max : 0;
    }

    /// <summary>Whether maxmemory is set and the memory used is above it.</summary>
    public bool IsOver() => Overage() > 0;

    /// <summary>
    /// For a pipelined write that found memory over maxmemory: false when it must be refused (noeviction, or nothing left
    /// to evict); else it goes on, in its order, and an eviction starts in the background unless one is
    /// running (Redis lets a command through while its eviction runs; far over the limit, the connection waited for it
    /// first: <see cref="FarOver"/>).
    /// </summary>
    public bool AdmitWhileEvicting()
    {
        if (!Evicts)
            return false;
        Kick();
        return !Exhausted;
    }

    /// <summary>
    /// For a command run alone that found memory over maxmemory: waits for eviction (<see cref="EvictAsync"/>) unless the
    /// last one found nothing left to evict; true when the command may go on.
    /// </summary>
    public ValueTask<bool> MakeRoomAsync(CancellationToken token) => Exhausted ? ValueTask.FromResult(false) : EvictAsync(token);

    /// <summary>
    /// Whether a connection should wait for eviction before it queues its next write (<see cref="EvictAsync"/>): memory is
    /// over maxmemory by more than <see cref="Slack"/> under a policy that can still evict. The connection's read loop
    /// waits, so its commands keep their order.
    /// </summary>
    public bool FarOver => Evicts && !Exhausted && raft.IsLeader && Overage() > Slack;

    private void Kick()
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

    /// <summary>
    /// Evicts until the memory used is at most maxmemory, if this node leads and the policy evicts; false when memory
    /// stays above it (noeviction, nothing left that the policy may evict, an entry that did not commit, or the command's
    /// token cancelled), true otherwise (within it, out of this call's time budget with eviction going on, paused, not
    /// the leader: the command itself then meets what it meets). <paramref name="collect"/>: the background cycle's
    /// full collection first (never on a command's path).
    /// </summary>
    public async ValueTask<bool> EvictAsync(CancellationToken token, bool collect = false)
    {
        if (!IsOver())
        {
            Volatile.Write(ref _exhausted, 0);
            return true;
        }

        if (!Evicts)
            return false;
        if (!raft.IsLeader || disk.IsLow || clients.Pause.IsActive)
            return true;
        try
        {
            // Outside the eviction's semaphore: a command waiting for eviction never waits for the collection.
            if (collect && TimeProvider.System.GetElapsedTime(_lastCollection) >= CollectionInterval)
            {
                await FullCollectionAsync(token).ConfigureAwait(false);
                if (!IsOver())
                {
                    Volatile.Write(ref _exhausted, 0);
                    return true;
                }
            }

            await _running.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        try
        {
            return await EvictLoopAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A command waiting for eviction meets memory as it is; the next cycle tries again.
            LogCycleFailed(e);
            return false;
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<bool> EvictLoopAsync(CancellationToken token)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var need = Overage();
            if (need <= 0)
            {
                Volatile.Write(ref _exhausted, 0);
                return true;
            }

            if (!Evicts)
                return false;
            if (!raft.IsLeader || clients.Pause.IsActive)
                return true;

            // As Redis's eviction time limit: a long eviction goes on in the next cycle or kick.
            if (TimeProvider.System.GetElapsedTime(started) >= EvictionBudget)
                return true;

            var now = clock.Now();
            var seed = (ulong)Random.Shared.NextInt64();
            var applied = raft.StateMachine.AppliedIndex;
            var (keys, scope) = await raft.StateMachine.ReadAsync(
                s => (s.EvictionCandidates(now, seed, need, MaxKeysPerEntry), s.EvictScope), token).ConfigureAwait(false);
            if (keys.Count == 0)
            {
                // Marked when it starts (or something was applied since): the cycle then rests once a full collection
                // has completed after this mark.
                if (!Exhausted || Volatile.Read(ref _exhaustedAt) != applied)
                {
                    Volatile.Write(ref _exhaustedAt, applied);
                    Volatile.Write(ref _exhaustedGc, CollectionsStarted());
                }

                Volatile.Write(ref _exhausted, 1);
                return false;
            }

            var arguments = new byte[2 * keys.Count + 1][];
            arguments[0] = scope;
            long bytes = 0;
            for (var i = 0; i < keys.Count; i++)
            {
                arguments[2 * i + 1] = keys[i].Key;
                arguments[2 * i + 2] = RaftKV.Protocol.Resp.RedisNumber.FormatLong(keys[i].Revision);
                bytes += keys[i].Bytes;
            }

            // Within the command timeout, the group commit's own (an unknown outcome answers it then).
            var reply = await batcher.WriteAsync(new LogCommand(CommandId.Evict, now, 0, arguments), token, commandTimeout: true).ConfigureAwait(false);
            if (reply is not IntegerReply evicted)
                return false;
            Volatile.Write(ref _exhausted, 0);
            // Only what was deleted comes back (a key the entry found gone or changed counts nothing).
            AddPending(bytes * evicted.Value / keys.Count);
            LogEvicted(evicted.Value, need);
        }
    }

    // The index of the newest full (background or blocking) collection that has completed.
    private long LastCompletedFullGc() => Gc().LastFullGc;

    // Collections started so far (every one collects generation 0): a full collection whose index is above this count
    // started after it was read.
    private static long CollectionsStarted() => GC.CollectionCount(0);

    private long PendingBytes()
    {
        if (Interlocked.Read(ref _pendingBytes) == 0)
            return 0;
        var reclaimedUpTo = LastCompletedFullGc();
        lock (_pendingLock)
        {
            while (_pending.TryPeek(out var batch) && reclaimedUpTo > batch.GcCount)
            {
                _pending.Dequeue();
                Interlocked.Add(ref _pendingBytes, -batch.Bytes);
            }

            return Interlocked.Read(ref _pendingBytes);
        }
    }

    private void AddPending(long bytes)
    {
        lock (_pendingLock)
        {
            _pending.Enqueue((bytes, CollectionsStarted()));
            Interlocked.Add(ref _pendingBytes, bytes);
        }
    }

    // A full collection in the background, waited for (at most a second) until it has completed, so the heap measured
    // after it holds no garbage older than it.
    private async Task FullCollectionAsync(CancellationToken token)
    {
        _lastCollection = TimeProvider.System.GetTimestamp();
        var before = GC.GetGCMemoryInfo(GCKind.Any).Index;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false, compacting: false);
        for (var waited = 0; waited < 200 && LastCompletedFullGc() <= before; waited++)
            await Task.Delay(5, token).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, _options.ExpiryCycleMs)));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                // Nothing was left to evict: try again once something has been applied (a key written, the policy or
                // maxmemory changed) or a full collection has completed since (the evicted keys' garbage gone), not
                // with a full collection every second.
                if (Exhausted && raft.IsStarted && Volatile.Read(ref _exhaustedAt) == raft.StateMachine.AppliedIndex
                    && LastCompletedFullGc() > Volatile.Read(ref _exhaustedGc) && IsOver())
                    continue;
                if (Evicts && raft.IsLeader)
                    await EvictAsync(stoppingToken, collect: true).ConfigureAwait(false);
                else if (!IsOver())
                    Volatile.Write(ref _exhausted, 0);
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
