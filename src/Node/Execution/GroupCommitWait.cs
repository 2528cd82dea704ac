namespace RaftKV.Node.Execution;

/// <summary>
/// The group commit's wait for the clients it has just answered (<see cref="WriteBatcher"/>), ended by the RESP event
/// loops that serve them. A round costs the cluster a fixed amount of CPU, most of it thread hand-offs (about 1 ms for
/// a lone write on the 2-core machine, docs/performance.md), so fewer, larger entries leave more CPU for the commands:
/// once an entry's replies have gone, the next entry waits for the clients they answered to send their next writes,
/// as Redis's event loop syncs its AOF once per pass over the connections that are ready.
/// <para>
/// The wait ends at the first of: as many writes queued as the batcher expects (<see cref="WriteBatcher"/> ends it);
/// a loop that read requests since the wait began and then finds nothing more to read (what has arrived is all there
/// is for now); <see cref="LongestMs"/> since it began, as a loop measures it (between its passes over ready
/// connections, so even a loop kept busy by other clients ends it); a loop stopping. No timer: the loops bound their
/// epoll waits while the batcher is draining (<see cref="Draining"/>), and a loop asleep without a bound when a wait
/// begins is woken (a write that came another way than RESP: gRPC, the expiry sweeper). Without a loop
/// (RespEventLoops 0, not Linux) or with the setting off (NodeOptions.GroupCommitWait), nothing waits.
/// </para>
/// </summary>
internal sealed class GroupCommitWait
{
    /// <summary>The longest a loop waits for a request while a wait is on, or sleeps while the batcher drains.</summary>
    public const int LongestMs = 1;

    private readonly Lock _lock = new();
    private readonly bool _enabled;
    private Waker[] _wakers = [];
    private TaskCompletionSource? _pending;
    private int _draining;
    private long _begun;
    private long _endedByLoops;

    public GroupCommitWait(bool enabled) => _enabled = enabled;

    /// <summary>A loop's way to be woken, and whether it sleeps without a bound now.</summary>
    public sealed class Waker(Action wake)
    {
        private int _unbounded;

        /// <summary>Announced before the loop reads <see cref="Pending"/> and <see cref="Draining"/> for its next epoll wait.</summary>
        public void SleepingUnbounded(bool value)
        {
            Volatile.Write(ref _unbounded, value ? 1 : 0);
            Interlocked.MemoryBarrier();
        }

        internal void WakeIfUnbounded()
        {
            if (Volatile.Read(ref _unbounded) == 1)
                wake();
        }
    }

    /// <summary>Whether a wait can begin: waiting is on and a loop serves clients.</summary>
    public bool CanWait => _enabled && Volatile.Read(ref _wakers).Length > 0;

    /// <summary>Waits begun so far.</summary>
    public long Begun => Interlocked.Read(ref _begun);

    /// <summary>Waits a loop ended (nothing more to read, or the longest wait over) rather than the writes expected.</summary>
    public long EndedByLoops => Interlocked.Read(ref _endedByLoops);

    /// <summary>The wait on now, or null.</summary>
    public TaskCompletionSource? Pending => Volatile.Read(ref _pending);

    /// <summary>
    /// Whether the batcher is draining: a loop then sleeps at most <see cref="LongestMs"/>, so a wait that begins finds
    /// it bounded (a hint: <see cref="Begin"/> wakes a loop asleep without a bound anyway).
    /// </summary>
    public bool Draining
    {
        get => Volatile.Read(ref _draining) == 1;
        set => Volatile.Write(ref _draining, value ? 1 : 0);
    }

    /// <summary>A loop starts serving: it ends waits from now on.</summary>
    public Waker Attach(Action wake)
    {
        var waker = new Waker(wake);
        lock (_lock)
            Volatile.Write(ref _wakers, [.. _wakers, waker]);
        return waker;
    }

    /// <summary>A loop stops serving; the wait on now ends (it might have been the one to end it).</summary>
    public void Detach(Waker waker)
    {
        lock (_lock)
            Volatile.Write(ref _wakers, [.. _wakers.Where(w => w != waker)]);
        if (Pending is { } pending)
            End(pending);
    }

    /// <summary>Begins a wait; the caller awaits its task (continued on the thread pool, never inline).</summary>
    public TaskCompletionSource Begin()
    {
        var wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _begun);
        Volatile.Write(ref _pending, wait);
        Interlocked.MemoryBarrier();
        WakeUnbounded();
        // A loop that detached meanwhile may have missed it: with none left, nothing would end it.
        if (Volatile.Read(ref _wakers).Length == 0)
            End(wait);
        return wait;
    }

    /// <summary>Ends <paramref name="wait"/> (once; a later call does nothing); <paramref name="byLoop"/>: a loop ends it.</summary>
    public void End(TaskCompletionSource wait, bool byLoop = false)
    {
        Interlocked.CompareExchange(ref _pending, null, wait);
        if (wait.TrySetResult() && byLoop)
            Interlocked.Increment(ref _endedByLoops);
    }

    private void WakeUnbounded()
    {
        foreach (var waker in Volatile.Read(ref _wakers))
            waker.WakeIfUnbounded();
    }
}
