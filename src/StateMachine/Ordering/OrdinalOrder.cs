using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Ordering;

/// <summary>
/// A collection's elements in ordinal byte order, kept in a cache field that its owner drops when an element is added or
/// removed. Reads may run concurrently with each other (never with a write): the array is built privately and published
/// whole, so no reader sees it half sorted.
/// </summary>
internal static class OrdinalOrder
{
    public static byte[][] Of(ref byte[][]? cache, ICollection<byte[]> elements)
    {
        var sorted = Volatile.Read(ref cache);
        if (sorted is null)
        {
            sorted = new byte[elements.Count][];
            elements.CopyTo(sorted, 0);
            Array.Sort(sorted, ByteStringComparer.Instance);
            Volatile.Write(ref cache, sorted);
        }

        return sorted;
    }
}
