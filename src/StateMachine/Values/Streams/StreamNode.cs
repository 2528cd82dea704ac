namespace RaftKV.StateMachine.Values.Streams;

/// <summary>
/// One of Redis's radix-tree nodes, emulated because approximate trimming (<c>MAXLEN ~</c>, <c>MINID ~</c>) removes whole
/// nodes only, so its result depends on where nodes begin. A node takes new entries while it has had fewer than
/// stream-node-max-entries (deleted ones count, as in Redis), and disappears when its last live
/// entry is deleted. <see cref="Number"/> links entries to their node in memory only; it is not persisted.
/// </summary>
internal sealed class StreamNode(long number, int slots, int live, StreamId lastId)
{
    public long Number { get; } = number;

    /// <summary>Entries ever added to the node, deleted ones included.</summary>
    public int Slots { get; set; } = slots;

    public int Live { get; set; } = live;

    /// <summary>The id of the node's last entry, deleted or not (what MINID trimming compares).</summary>
    public StreamId LastId { get; set; } = lastId;

    public StreamNode Copy() => new(Number, Slots, Live, LastId);
}
