namespace RaftKV.Node.Raft;

/// <summary>
/// Told by the applier which keys each applied command changed (CLIENT TRACKING's invalidations). Called on the applier
/// thread under the apply lock, in log order (but <see cref="ExpiredOnRead"/>): it must not block nor read the store.
/// </summary>
internal interface IKeyChangeSink
{
    /// <summary>Whether anything listens now; while false the store records nothing.</summary>
    bool IsListening { get; }

    /// <summary>
    /// One applied command changed <paramref name="keys"/> (a key may repeat), or the whole keyspace when
    /// <paramref name="flushed"/>; <paramref name="byClient"/> is false for the leader's own entries (expiry sweeps).
    /// </summary>
    void Changed(IReadOnlyList<byte[]> keys, bool flushed, bool byClient);

    /// <summary>The entry whose commands were reported is applied (BCAST invalidations go out once per entry).</summary>
    void EntryApplied();

    /// <summary>
    /// A client's read found <paramref name="keys"/> stored but expired: Redis's lazy expiry would have deleted and
    /// invalidated them. Called by the reader after it left the store (or on the applier, for a read placed among a
    /// batch's writes); it must not block nor read the store.
    /// </summary>
    void ExpiredOnRead(IReadOnlyList<byte[]> keys);
}
