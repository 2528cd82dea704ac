namespace RaftKV.StateMachine.Keyspace;

/// <summary>What maxmemory-policy needs of the keyspace: LFU counters kept on access, and evictions counted.</summary>
internal sealed partial class KeyTable
{
    /// <summary>
    /// The replicated configuration, whose LFU parameters (while maxmemory-policy is an LFU one) make accesses update
    /// <see cref="KeyEntry.Frequency"/>; null (a table of its own, in tests): accesses only touch.
    /// </summary>
    public Configuration.RuntimeConfig? Config { get; init; }

    private void Access(KeyEntry entry, long nowMs)
    {
        if (Config?.Lfu is { } lfu)
            entry.AccessLfu(nowMs, lfu.LogFactor, lfu.DecayMinutes);
        else
            entry.Touch(nowMs);
    }

    /// <summary>
    /// Keys deleted by eviction entries (maxmemory-policy), as Redis's evicted_keys; counted at apply like
    /// <see cref="ExpiredRemovals"/>, not state.
    /// </summary>
    public long EvictedRemovals { get; private set; }

    /// <summary>Removes a key an eviction entry names, counting it in <see cref="EvictedRemovals"/>, with an evicted event.</summary>
    public bool RemoveEvicted(byte[] key)
    {
        if (!Remove(key))
        {
            return false;
        }

        EvictedRemovals++;
        Notify(Configuration.KeyspaceEvents.Evicted, "evicted", key);
        return true;
    }
}
