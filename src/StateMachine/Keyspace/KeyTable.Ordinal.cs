using RaftKV.StateMachine.Ordering;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keys in ordinal byte order, for the gRPC KV service's prefix ranges (RAFTKV.KV.RANGE, DELETE PREFIX, TXN): built on
/// the first such call (O(n log n) once) and kept in step with every key added or removed from then on, so a page is a
/// seek and a walk over the keys it returns, as etcd's range, instead of a pass over the whole keyspace per page.
/// Memory: one 8-byte slot per key (up to twice that with the free slots of split leaves), only once a range was asked.
/// </summary>
internal sealed partial class KeyTable
{
    private OrdinalIndex? _ordinalKeys;

    /// <summary>
    /// Every key (expired ones too) that sorts at or after <paramref name="start"/> in ordinal byte order, in that order.
    /// Reads may call it concurrently with each other (never with a write).
    /// </summary>
    public IEnumerable<byte[]> KeysFrom(byte[] start)
    {
        var index = OrdinalIndex.Of(ref _ordinalKeys, _entries.Select(static entry => entry.Key));
        return index.From(new OrdinalSlot(start)).Select(static slot => slot.Member);
    }
}
