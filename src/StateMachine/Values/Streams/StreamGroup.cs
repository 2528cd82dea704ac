using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values.Streams;

/// <summary>
/// A consumer group: the last id delivered, the logical read counter (<see cref="InvalidEntriesRead"/> when unknown),
/// the group's pending entries list and its consumers, both ordered (by id and by name bytes) as Redis's radix trees.
/// </summary>
internal sealed class StreamGroup(byte[] name, StreamId lastId, long entriesRead)
{
    /// <summary>Redis's SCG_INVALID_ENTRIES_READ: the counter is not known.</summary>
    public const long InvalidEntriesRead = -1;

    public byte[] Name { get; } = name;

    public StreamId LastId { get; set; } = lastId;

    public long EntriesRead { get; set; } = entriesRead;

    public SortedSet<PendingEntry> Pending { get; } = new(PendingEntry.ById);

    public SortedDictionary<byte[], StreamConsumer> Consumers { get; } = new(ByteStringComparer.Instance);

    public StreamConsumer? FindConsumer(byte[] name) => Consumers.GetValueOrDefault(name);

    /// <summary>Creates the consumer unless it exists; null when it did.</summary>
    public StreamConsumer? TryCreateConsumer(byte[] name, long now)
    {
        if (Consumers.ContainsKey(name))
        {
            return null;
        }

        var consumer = new StreamConsumer(name, now);
        Consumers.Add(name, consumer);
        return consumer;
    }

    /// <summary>The consumer, created when missing; its seen time becomes <paramref name="now"/> (streamLookupConsumer).</summary>
    public StreamConsumer Touch(byte[] name, long now)
    {
        var consumer = FindConsumer(name) ?? TryCreateConsumer(name, now)!;
        consumer.SeenTime = now;
        return consumer;
    }

    public PendingEntry? FindPending(StreamId id) => Pending.TryGetValue(PendingEntry.Probe(id), out var found) ? found : null;

    public void RemovePending(PendingEntry entry)
    {
        Pending.Remove(entry);
        entry.Consumer.Pending.Remove(entry);
    }

    /// <summary>Gives <paramref name="entry"/> to <paramref name="consumer"/>, taking it from its previous owner.</summary>
    public static void Reassign(PendingEntry entry, StreamConsumer consumer)
    {
        if (ReferenceEquals(entry.Consumer, consumer))
        {
            return;
        }

        entry.Consumer.Pending.Remove(entry);
        entry.Consumer = consumer;
        consumer.Pending.Add(entry);
    }

    /// <summary>Removes a consumer and its pending entries; returns how many it had.</summary>
    public int DeleteConsumer(StreamConsumer consumer)
    {
        var count = consumer.Pending.Count;
        foreach (var entry in consumer.Pending)
        {
            Pending.Remove(entry);
        }

        Consumers.Remove(consumer.Name);
        return count;
    }

    /// <summary>Pending entries from <paramref name="start"/> on, in id order.</summary>
    public static IEnumerable<PendingEntry> From(SortedSet<PendingEntry> pending, StreamId start, StreamId end)
    {
        if (pending.Count == 0 || start > end)
        {
            return [];
        }

        return pending.GetViewBetween(PendingEntry.Probe(start), PendingEntry.Probe(end));
    }

    public StreamGroup Copy()
    {
        var copy = new StreamGroup(Name, LastId, EntriesRead);
        foreach (var consumer in Consumers.Values)
        {
            copy.Consumers.Add(consumer.Name, new StreamConsumer(consumer.Name, consumer.SeenTime));
        }

        foreach (var entry in Pending)
        {
            var owner = copy.Consumers[entry.Consumer.Name];
            var pending = new PendingEntry(entry.Id, owner, entry.DeliveryTime, entry.DeliveryCount);
            copy.Pending.Add(pending);
            owner.Pending.Add(pending);
        }

        return copy;
    }
}
