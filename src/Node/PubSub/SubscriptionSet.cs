namespace RaftKV.Node.PubSub;

/// <summary>
/// The channels and patterns one session listens to. Names are byte strings held as Latin-1 strings, a lossless
/// one-byte-per-char mapping. Guarded by the broker's lock.
/// </summary>
internal sealed class SubscriptionSet
{
    public HashSet<string> Channels { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Patterns { get; } = new(StringComparer.Ordinal);

    public int Count => Channels.Count + Patterns.Count;
}
