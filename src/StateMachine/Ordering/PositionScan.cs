namespace RaftKV.StateMachine.Ordering;

/// <summary>
/// One call of a SCAN-family command over a <see cref="PositionIndex{T}"/>: the cursor is a position, and a call looks
/// at every item from that position on until it has looked at COUNT (finishing the last position, so items that share
/// one are never split between calls), then answers the next position, or 0 at the end. Since an item's position
/// never changes, an item present from the first call to the last is returned at least once, whatever is added or
/// removed meanwhile and whichever replica serves each call.
/// </summary>
internal static class PositionScan
{
    /// <summary>The items one call looks at (before MATCH and TYPE filter them), and the cursor it answers.</summary>
    public static List<T> Take<T>(PositionIndex<T> index, ulong cursor, long count, out ulong next)
        where T : IPositioned
    {
        var taken = new List<T>((int)Math.Min(count, 1024));
        next = 0;
        foreach (var item in index.From(cursor))
        {
            if (taken.Count >= count && item.Position != taken[^1].Position)
            {
                next = item.Position;
                break;
            }

            taken.Add(item);
        }

        return taken;
    }
}
