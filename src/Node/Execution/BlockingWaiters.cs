using System.Text;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Execution;

/// <summary>
/// Clients blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP on this leader, in FIFO
/// order per key, as Redis serves them. The applier calls <see cref="Touched"/> with the arguments of every applied
/// write; the first waiter on a touched key is woken and proposes its command again as a new log entry (the pop that
/// serves it is itself an entry, so every replica applies it). Keys are byte strings held as Latin-1 strings.
/// </summary>
/// <remarks>
/// Redis serves the clients a write unblocks before it runs another command, so once the write's reply is out, nobody
/// sees the element in between (the suite's "Linked LMOVEs": RPUSH list1 with BLMOVE list1 list2 and BLMOVE list2 list3
/// blocked, then LRANGE list1, list2 and list3). Here the serving pops are later entries, so the wake is tracked: each
/// wake is a task (<see cref="Touched"/> returns them) that completes once the woken client's next attempt has applied
/// (served or blocked again), or, when the client leaves the queue, once the next waiter it woke on its way out has
/// done the same. The group commit answers the write that woke them after that task.
/// </remarks>
internal sealed class BlockingWaiters
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedList<Waiter>> _byKey = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>Clients blocked now (INFO's blocked_clients).</summary>
    public int Count => Volatile.Read(ref _count);

    public sealed class Waiter(IReadOnlyList<string> keys)
    {
        private TaskCompletionSource? _wake;

        private volatile bool _attempting = true;

        public IReadOnlyList<string> Keys { get; } = keys;

        /// <summary>
        /// Set except while the waiter waits for its signal: from its registration (an XREAD's read of its ids, its first
        /// attempt) and while an attempt is proposed and until its reply is back. A write applied meanwhile (its own pop
        /// that pushes to a key it waits on, or another client's) still signals it, but the write's reply does not wait
        /// for it: that reply, or a read placed in the same entry, could be what the waiter is waiting for.
        /// </summary>
        public bool Attempting
        {
            get => _attempting;
            set => _attempting = value;
        }

        /// <summary>Released when a key of this waiter may have become non-empty.</summary>
        public SemaphoreSlim Signal { get; } = new(0);

        /// <summary>
        /// The wake this waiter has not yet taken (<see cref="TakeWake"/>) after its signal; completed by the caller once
        /// the attempt it makes after taking it has applied. Called under the registry's lock.
        /// </summary>
        internal Task Wake()
        {
            var wake = _wake ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return wake.Task;
        }

        /// <summary>The wake signalled so far, taken by the waiter as it leaves its wait to try again.</summary>
        public TaskCompletionSource? TakeWake() => Interlocked.Exchange(ref _wake, null);
    }

    public static string Key(byte[] key) => Encoding.Latin1.GetString(key);

    public Waiter Add(IReadOnlyList<string> keys)
    {
        var waiter = new Waiter(keys);
        lock (_lock)
        {
            _count++;
            foreach (var key in keys)
            {
                if (!_byKey.TryGetValue(key, out var queue))
                    _byKey[key] = queue = new LinkedList<Waiter>();
                queue.AddLast(waiter);
            }
        }

        return waiter;
    }

    /// <summary>
    /// Removes a waiter that was served, timed out or cancelled, and wakes the next waiter on its keys (an element may be
    /// left for it). <paramref name="taken"/>, the wake the waiter took for its last attempt, and any wake it has not
    /// taken complete once those next waiters' attempts have (at once if it woke nobody).
    /// </summary>
    public void Remove(Waiter waiter, TaskCompletionSource? taken = null)
    {
        List<Task>? next = null;
        lock (_lock)
        {
            _count--;
            foreach (var key in waiter.Keys)
            {
                if (!_byKey.TryGetValue(key, out var queue))
                    continue;
                queue.Remove(waiter);
                if (queue.Count == 0)
                {
                    _byKey.Remove(key);
                }
                else
                {
                    if (Wake(queue.First!.Value) is { } wake)
                        (next ??= []).Add(wake);
                }
            }
        }

        waiter.Signal.Dispose();
        var left = waiter.TakeWake();
        if (taken is null && left is null)
            return;
        if (next is null)
        {
            taken?.TrySetResult();
            left?.TrySetResult();
            return;
        }

        _ = Task.WhenAll(next).ContinueWith(
            _ =>
            {
                taken?.TrySetResult();
                left?.TrySetResult();
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Called for each applied write: wakes the first waiter of every key among its arguments. Returns what completes
    /// once the woken waiters have tried again (null if none waits on those keys).
    /// </summary>
    public Task? Touched(byte[][] arguments)
    {
        // Nobody blocked, the usual case: no lock per applied write. A waiter added meanwhile makes its first attempt
        // after it was added: a write attempt is applied after this write (one applier, in log order) and a read attempt
        // takes the store's read lock, which this write's apply holds for writing; either way an attempt that could have
        // missed this write began after the Add, whose count this read then sees, or it sees what this write wrote.
        if (Volatile.Read(ref _count) == 0)
            return null;
        List<Task>? woken = null;
        lock (_lock)
        {
            if (_byKey.Count == 0)
                return null;
            foreach (var argument in arguments)
            {
                if (_byKey.TryGetValue(Key(argument), out var queue) && queue.First is { } first && Wake(first.Value) is { } wake)
                    (woken ??= []).Add(wake);
            }
        }

        return WakeHold.Combine(woken);
    }

    /// <summary>Wakes the first waiter of every key (after a flush, which names no key); as <see cref="Touched"/>.</summary>
    public Task? TouchedAll()
    {
        List<Task>? woken = null;
        lock (_lock)
        {
            foreach (var queue in _byKey.Values)
            {
                if (queue.First is { } first && Wake(first.Value) is { } wake)
                    (woken ??= []).Add(wake);
            }
        }

        return WakeHold.Combine(woken);
    }

    // Under the lock: the signal once (a waiter signalled and not yet woken is not signalled twice), its wake unless it is
    // attempting (Waiter.Attempting).
    private static Task? Wake(Waiter waiter)
    {
        if (waiter.Signal.CurrentCount == 0)
            waiter.Signal.Release();
        return waiter.Attempting ? null : waiter.Wake();
    }
}
