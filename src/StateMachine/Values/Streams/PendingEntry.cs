namespace RaftKV.StateMachine.Values.Streams;

/// <summary>
/// An entry delivered to a consumer of a group and not yet acknowledged (Redis's streamNACK). The delivery time is the
/// applying entry's timestamp, never a clock, so every replica holds the same one.
/// </summary>
internal sealed class PendingEntry(StreamId id, StreamConsumer consumer, long deliveryTime, long deliveryCount)
{
    public static readonly IComparer<PendingEntry> ById = Comparer<PendingEntry>.Create(static (x, y) => x.Id.CompareTo(y.Id));

    public StreamId Id { get; } = id;

    public StreamConsumer Consumer { get; set; } = consumer;

    public long DeliveryTime { get; set; } = deliveryTime;

    public long DeliveryCount { get; set; } = deliveryCount;

    /// <summary>A key to look an id up in a pending list.</summary>
    public static PendingEntry Probe(StreamId id) => new(id, StreamConsumer.None, 0, 0);
}
