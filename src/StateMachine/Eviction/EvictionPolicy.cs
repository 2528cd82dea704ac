namespace RaftKV.StateMachine.Eviction;

/// <summary>Redis's maxmemory-policy values.</summary>
public enum EvictionPolicy
{
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

/// <summary>The LFU parameters of the replicated configuration (lfu-log-factor, lfu-decay-time in minutes).</summary>
public sealed record LfuSettings(int LogFactor, int DecayMinutes);

/// <summary>maxmemory-policy by name, and what each policy may evict.</summary>
public static class EvictionPolicies
{
    /// <summary>The policy CONFIG SET accepted under <paramref name="name"/>; noeviction for anything else.</summary>
    public static EvictionPolicy Parse(string name) => name switch
    {
        "allkeys-lru" => EvictionPolicy.AllKeysLru,
        "volatile-lru" => EvictionPolicy.VolatileLru,
        "allkeys-lfu" => EvictionPolicy.AllKeysLfu,
        "volatile-lfu" => EvictionPolicy.VolatileLfu,
        "allkeys-random" => EvictionPolicy.AllKeysRandom,
        "volatile-random" => EvictionPolicy.VolatileRandom,
        "volatile-ttl" => EvictionPolicy.VolatileTtl,
        _ => EvictionPolicy.NoEviction,
    };

    /// <summary>Whether the policy evicts only keys that have an expiry.</summary>
    public static bool IsVolatile(this EvictionPolicy policy) =>
        policy is EvictionPolicy.VolatileLru or EvictionPolicy.VolatileLfu or EvictionPolicy.VolatileRandom or EvictionPolicy.VolatileTtl;

    /// <summary>Whether the policy ranks keys by their LFU counter.</summary>
    public static bool IsLfu(this EvictionPolicy policy) => policy is EvictionPolicy.AllKeysLfu or EvictionPolicy.VolatileLfu;
}
