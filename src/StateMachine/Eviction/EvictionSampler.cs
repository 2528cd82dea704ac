using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Eviction;

/// <summary>
/// The leader's choice of keys to evict under a maxmemory-policy, as Redis's approximations make it: LRU and LFU take
/// the best of maxmemory-samples keys drawn at random (the longest idle; the lowest decayed LFU counter, then the
/// longest idle), the random policies one key drawn at random, volatile-ttl the keys closest to expiring. A random key
/// is the first at or after a random position of the keyspace's canonical order (its keys' hashes, so uniform enough),
/// skipping keys already chosen and, for the volatile policies, keys without an expiry. The choice travels in the log
/// as an Evict entry naming the keys; replicas never choose.
/// </summary>
internal static class EvictionSampler
{
    // Keys looked at after a random position before that draw gives up (volatile policies skip keys without expiry).
    private const int WalkLimit = 64;
    private const int Draws = 8;

    public static List<(byte[] Key, long Revision, long Bytes)> Choose(
        KeyTable keys, EvictionPolicy policy, long nowMs, ulong seed, int samples, int decayMinutes, long needBytes, int maxKeys,
        Func<KeyEntry, long> sizeOf)
    {
        var chosen = new List<(byte[] Key, long Revision, long Bytes)>();
        if (policy == EvictionPolicy.NoEviction || maxKeys <= 0)
        {
            return chosen;
        }

        var taken = new HashSet<KeyEntry>(ReferenceEqualityComparer.Instance);
        var random = new DeterministicRandom(seed);
        using var byExpiry = policy == EvictionPolicy.VolatileTtl ? keys.ByExpiry().GetEnumerator() : null;
        long freed = 0;
        while (chosen.Count < maxKeys && freed < needBytes)
        {
            var pick = policy == EvictionPolicy.VolatileTtl
                ? NextUntaken(byExpiry!, taken)
                : Best(keys, policy, nowMs, random, policy is EvictionPolicy.AllKeysRandom or EvictionPolicy.VolatileRandom ? 1 : Math.Max(1, samples), decayMinutes, taken);
            if (pick is null)
            {
                break;
            }

            taken.Add(pick);
            var bytes = Math.Max(1, sizeOf(pick));
            chosen.Add((pick.Key, pick.Revision, bytes));
            freed += bytes;
        }

        return chosen;
    }

    private static KeyEntry? NextUntaken(IEnumerator<KeyEntry> entries, HashSet<KeyEntry> taken)
    {
        while (entries.MoveNext())
        {
            if (!taken.Contains(entries.Current))
            {
                return entries.Current;
            }
        }

        return null;
    }

    private static KeyEntry? Best(KeyTable keys, EvictionPolicy policy, long nowMs, DeterministicRandom random, int samples, int decayMinutes, HashSet<KeyEntry> taken)
    {
        KeyEntry? best = null;
        for (var i = 0; i < samples; i++)
        {
            var candidate = Draw(keys, policy.IsVolatile(), random, taken);
            if (candidate is null)
            {
                break;
            }

            if (best is null || Better(candidate, best, policy, nowMs, decayMinutes))
            {
                best = candidate;
            }
        }

        return best;
    }

    private static bool Better(KeyEntry candidate, KeyEntry best, EvictionPolicy policy, long nowMs, int decayMinutes)
    {
        if (policy.IsLfu())
        {
            var (c, b) = (candidate.LfuCount(nowMs, decayMinutes), best.LfuCount(nowMs, decayMinutes));
            if (c != b)
            {
                return c < b;
            }
        }

        return candidate.IdleSeconds(nowMs) > best.IdleSeconds(nowMs);
    }

    // One key at random that is not taken yet (with an expiry for a volatile policy); null when there is none left.
    private static KeyEntry? Draw(KeyTable keys, bool volatileOnly, DeterministicRandom random, HashSet<KeyEntry> taken)
    {
        if ((volatileOnly ? keys.ExpiringCount : keys.Count) <= taken.Count)
        {
            return null;
        }

        for (var draw = 0; draw < Draws; draw++)
        {
            var walked = 0;
            foreach (var entry in keys.InOrderFrom(random.NextUInt64()).Concat(keys.InOrder()))
            {
                if (++walked > WalkLimit)
                {
                    break;
                }

                if (!taken.Contains(entry) && (!volatileOnly || entry.HasExpiry))
                {
                    return entry;
                }
            }
        }

        // Few candidates left among many keys: the first one in order.
        foreach (var entry in volatileOnly ? keys.ByExpiry() : keys.InOrder())
        {
            if (!taken.Contains(entry))
            {
                return entry;
            }
        }

        return null;
    }
}
