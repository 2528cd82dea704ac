namespace RaftKV.Node.PubSub;

/// <summary>
/// The channels, patterns and shard channels one session listens to. Names are byte strings held as Latin-1 strings, a
/// lossless one-byte-per-char mapping. Guarded by the broker's lock.
/// </summary>
internal sealed class SubscriptionSet
{
    public HashSet<string> Channels { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Patterns { get; } = new(StringComparer.Ordinal);

    /// <summary>SSUBSCRIBE's channels (Redis 7.0's sharded pub/sub): a namespace of their own.</summary>
    public HashSet<string> ShardChannels { get; } = new(StringComparer.Ordinal);

    /// <summary>All of them: above 0, the session is in pub/sub mode (Redis's CLIENT_PUBSUB).</summary>
    public int Count => Channels.Count + Patterns.Count + ShardChannels.Count;

    /// <summary>What SUBSCRIBE's and PSUBSCRIBE's replies count (Redis's clientSubscriptionsCount): channels and patterns.</summary>
    public int ChannelsAndPatterns => Channels.Count + Patterns.Count;

    /// <summary>The set of <paramref name="kind"/>.</summary>
    public HashSet<string> Of(SubscriptionKind kind) => kind switch
    {
        SubscriptionKind.Pattern => Patterns,
        SubscriptionKind.Shard => ShardChannels,
        _ => Channels,
    };

    /// <summary>What a subscribe or unsubscribe reply of <paramref name="kind"/> counts.</summary>
    public int CountOf(SubscriptionKind kind) => kind == SubscriptionKind.Shard ? ShardChannels.Count : ChannelsAndPatterns;
}

/// <summary>SUBSCRIBE's channels, PSUBSCRIBE's patterns, SSUBSCRIBE's shard channels.</summary>
internal enum SubscriptionKind
{
    Channel,
    Pattern,
    Shard,
}

internal static class SubscriptionKinds
{
    /// <summary>The letter before "subscribe" and "unsubscribe" in the commands and replies of <paramref name="kind"/>.</summary>
    public static string Prefix(this SubscriptionKind kind) => kind switch
    {
        SubscriptionKind.Pattern => "p",
        SubscriptionKind.Shard => "s",
        _ => "",
    };
}
