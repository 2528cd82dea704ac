namespace RaftKV.StateMachine.Configuration;

/// <summary>
/// The thresholds that decide a value's representation (hash-max-listpack-*, zset-max-listpack-*,
/// set-max-intset-entries, hll-sparse-max-bytes, stream-node-max-entries), taken from the replicated
/// <see cref="RuntimeConfig"/>.
/// <para>
/// The data types read <see cref="Current"/>: the limits of the store whose command runs on this thread, set by
/// <see cref="Use"/> around each apply, read and snapshot load (a store's calls are synchronous and never hop
/// threads), and Redis's defaults outside one. So every replica converts at the same entry, as the limits are
/// part of the replicated state.
/// </para>
/// </summary>
public sealed record EncodingLimits(
    long HashMaxListpackEntries,
    long HashMaxListpackValue,
    long ZsetMaxListpackEntries,
    long ZsetMaxListpackValue,
    long SetMaxIntsetEntries,
    long HllSparseMaxBytes,
    long StreamNodeMaxEntries)
{
    [ThreadStatic]
    private static EncodingLimits? t_current;

    /// <summary>redis-server 7.0's built-in defaults.</summary>
    public static EncodingLimits Default { get; } = new(512, 64, 128, 64, 512, 3000, 100);

    internal static EncodingLimits Current => t_current ?? Default;

    /// <summary>Makes <paramref name="limits"/> current on this thread until the returned scope is disposed.</summary>
    internal static Scope Use(EncodingLimits limits)
    {
        var previous = t_current;
        t_current = limits;
        return new Scope(previous);
    }

    internal readonly struct Scope(EncodingLimits? previous) : IDisposable
    {
        public void Dispose() => t_current = previous;
    }
}
