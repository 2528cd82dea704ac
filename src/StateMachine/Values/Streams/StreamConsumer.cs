namespace RaftKV.StateMachine.Values.Streams;

/// <summary>A consumer of a group: its name, when it was last seen (an entry's timestamp) and its own pending entries.</summary>
internal sealed class StreamConsumer(byte[] name, long seenTime)
{
    /// <summary>A placeholder owner for lookup probes; never stored.</summary>
    public static readonly StreamConsumer None = new([], 0);

    public byte[] Name { get; } = name;

    public long SeenTime { get; set; } = seenTime;

    public SortedSet<PendingEntry> Pending { get; } = new(PendingEntry.ById);
}
