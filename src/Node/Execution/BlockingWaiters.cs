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
            foreach (var key in waiter.Keys)
            {
                if (!_byKey.TryGetValue(key, out var queue))
                    continue;
                queue.Remove(waiter);
                if (queue.Count == 0)
                    _byKey.Remove(key);
                else
                    queue.First!.Value.Signal.Release();
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
                if (_byKey.TryGetValue(Key(argument), out var queue) && queue.First is { } first && first.Value.Signal.CurrentCount == 0)
                    first.Value.Signal.Release();
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
                if (queue.First is { } first && first.Value.Signal.CurrentCount == 0)
                    first.Value.Signal.Release();
            }
        }
    }
}
