namespace RaftKV.StateMachine.Ordering;

/// <summary>
/// The elements of a large set, hash or sorted set in scan order (<see cref="ElementOrder"/>): a stable hash of the
/// element's bytes, which depends neither on the order the container was built in nor on a per-process seed, so a
/// cursor taken on one replica continues on another, and an element never moves while the scan goes on.
/// A container builds one on its first scan (<see cref="Of"/>) and keeps it in step with its adds and removes from
/// then on. Memory: one 16-byte slot per element (up to twice that with the free slots of split leaves).
/// </summary>
internal sealed class ElementScanIndex() : PositionIndex<ElementSlot>(ElementOrder.Instance)
{
    /// <summary>
    /// A container's index, kept in <paramref name="cache"/>: built from <paramref name="elements"/> (distinct) on first use.
    /// Reads may run concurrently with each other (never with a write): the index is built privately and published complete.
    /// </summary>
    public static ElementScanIndex Of(ref ElementScanIndex? cache, ICollection<byte[]> elements) =>
        Cached(ref cache, elements, static elements => Build(elements));

    /// <summary>An index of <paramref name="elements"/>, which must be distinct.</summary>
    public static ElementScanIndex Build(ICollection<byte[]> elements)
    {
        var slots = new ElementSlot[elements.Count];
        var count = 0;
        foreach (var element in elements)
        {
            slots[count++] = new ElementSlot(element);
        }

        // Added in order, every item goes to the end of the last leaf, which fills each leaf before opening the next.
        Array.Sort(slots, ElementOrder.Instance);
        var index = new ElementScanIndex();
        foreach (var slot in slots)
        {
            index.Add(slot);
        }

        return index;
    }

    public void Add(byte[] element) => Add(new ElementSlot(element));

    public void Remove(byte[] element) => Remove(new ElementSlot(element));
}
