using System.Text;

namespace RaftKV.Node.Execution;

/// <summary>
/// Clients blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP on this leader, in FIFO
/// order per key, as Redis serves them. The applier calls <see cref="Touched"/> with the arguments of every applied
/// write; the first waiter on a touched key is woken and proposes its command again as a new log entry (the pop that
/// serves it is itself an entry, so every replica applies it). Keys are byte strings held as Latin-1 strings.
/// </summary>
internal sealed class BlockingWaiters
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedList<Waiter>> _byKey = new(StringComparer.Ordinal);
    private int _count;

    // Waiters woken (their signal released) whose next try has not finished yet, and the task that completes when
    // none is left: a write's client is answered after the clients its write woke were served, as in Redis.
    private int _pending;
    private TaskCompletionSource? _settled;

    /// <summary>Clients blocked now (INFO's blocked_clients).</summary>
    public int Count => Volatile.Read(ref _count);

    public sealed class Waiter(IReadOnlyList<string> keys)
    {
        public IReadOnlyList<string> Keys { get; } = keys;

        /// <summary>Released when a key of this waiter may have become non-empty.</summary>
        public SemaphoreSlim Signal { get; } = new(0);
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

    /// <summary>Removes a waiter that was served, timed out or cancelled, and wakes the next waiter on its keys.</summary>
    public void Remove(Waiter waiter)
    {
        lock (_lock)
        {
            _count--;
            // A wake-up it never took: nothing will try for it now.
            if (waiter.Signal.CurrentCount > 0)
                SettleOne();
            foreach (var key in waiter.Keys)
            {
                if (!_byKey.TryGetValue(key, out var queue))
                    continue;
                queue.Remove(waiter);
                if (queue.Count == 0)
                    _byKey.Remove(key);
                else
                    Wake(queue.First!.Value);
            }
        }

        waiter.Signal.Dispose();
    }

    /// <summary>Called for each applied write: wakes the first waiter of every key among its arguments.</summary>
    public void Touched(byte[][] arguments)
    {
        lock (_lock)
        {
            if (_byKey.Count == 0)
                return;
            foreach (var argument in arguments)
            {
                if (_byKey.TryGetValue(Key(argument), out var queue) && queue.First is { } first)
                    Wake(first.Value);
            }
        }
    }

    /// <summary>Wakes the first waiter of every key (after a flush, which names no key).</summary>
    public void TouchedAll()
    {
        lock (_lock)
        {
            foreach (var queue in _byKey.Values)
            {
                if (queue.First is { } first)
                    Wake(first.Value);
            }
        }
    }

    /// <summary>A woken waiter's try (after it took its wake-up) finished, served or not.</summary>
    public void Settled()
    {
        lock (_lock)
            SettleOne();
    }

    /// <summary>Completes once every woken waiter has finished its try (at once when none is pending).</summary>
    public Task WhenSettledAsync()
    {
        lock (_lock)
            return _pending == 0 ? Task.CompletedTask : (_settled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    }

    // Under _lock. A waiter holds at most one wake-up, so each one pending is settled exactly once: by the waiter after
    // its try, or by Remove when it leaves without taking it.
    private void Wake(Waiter waiter)
    {
        if (waiter.Signal.CurrentCount != 0)
            return;
        waiter.Signal.Release();
        _pending++;
    }

    private void SettleOne()
    {
        if (--_pending > 0)
            return;
        _pending = 0;
        _settled?.TrySetResult();
        _settled = null;
    }
}
