using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Digests;
using RaftKV.StateMachine.Functions;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Locks;
using RaftKV.StateMachine.Log;

namespace RaftKV.StateMachine;

/// <summary>Introspection of the keyspace for DEBUG and MEMORY: digests, a key's estimated size, DEBUG OBJECT.</summary>
public sealed partial class KeyValueStore
{
    /// <summary>
    /// The state digest (20 bytes, as DEBUG DIGEST): the keyspace's XOR the lock table's (which adds nothing while no
    /// lock was ever granted); zeros when empty, independent of insertion order.
    /// </summary>
    public byte[] Digest()
    {
        var digest = KeyspaceDigest.Compute(_keys);
        LockDigest.XorInto(_locks, digest);
        return digest;
    }

    /// <summary>The digest of one key's value and expiry (as DEBUG DIGEST-VALUE); 20 zero bytes for a missing key.</summary>
    public byte[]? DigestValue(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return KeyspaceDigest.ComputeValue(_keys.Find(key));
    }

    /// <summary>
    /// MEMORY USAGE's estimate of <paramref name="key"/>'s bytes: the key, its value in canonical form and a fixed
    /// per-key overhead (Redis's object header and dictionary entry); null for a missing key. An expired key not yet
    /// swept still counts, as in Redis, whose MEMORY USAGE does not look at expiry.
    /// </summary>
    public long? MemoryUsage(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _keys.Find(key) is { } entry ? SizeOf(entry) : null;
    }

    private static long SizeOf(KeyEntry entry)
    {
        return PerKeyOverhead + entry.KeySpan.Length + entry.Value.CanonicalLength();
    }

    /// <summary>
    /// The leader's choice under maxmemory-policy (<see cref="Eviction.EvictionSampler"/>): keys whose estimated bytes
    /// (MEMORY USAGE's estimate and the rest of a key's heap overhead) add up to <paramref name="needBytes"/>, at most <paramref name="maxKeys"/>, drawn
    /// with <paramref name="seed"/>; empty under noeviction or when nothing may be evicted. For an Evict entry, whose
    /// first argument <see cref="EvictScope"/> gives.
    /// </summary>
    public IReadOnlyList<(byte[] Key, long Revision, long Bytes)> EvictionCandidates(long nowMs, ulong seed, long needBytes, int maxKeys) =>
        Eviction.EvictionSampler.Choose(_keys, _config.EvictionPolicy, Math.Max(nowMs, Now), seed, _config.MaxMemorySamples,
            _config.Lfu?.DecayMinutes ?? 0, needBytes, maxKeys, static entry => SizeOf(entry) + HeapOverhead(entry.Value));

    // What a key costs on the .NET heap beyond MEMORY USAGE's estimate (Redis-sized overheads), so eviction does not
    // free several times what it needs: about 136 bytes per small string key in all (README, Memory), and for a
    // collection about 64 bytes more per element (its node or slot and the element's own array).
    private static long HeapOverhead(Values.StoredValue value) => 88 + 64L * value switch
    {
        Values.HashValue hash => hash.Count,
        Values.ListValue list => list.Count,
        Values.SetValue set => set.Count,
        Values.SortedSetValue zset => zset.Count * 2L,
        Values.Streams.StreamValue stream => stream.Count,
        _ => 0,
    };

    /// <summary>The Evict entry's first argument under the current policy: only keys with an expiry, or any.</summary>
    public byte[] EvictScope => Eviction.EvictionPolicies.IsVolatile(_config.EvictionPolicy) ? "volatile"u8.ToArray() : "allkeys"u8.ToArray();

    /// <summary>
    /// DEBUG OBJECT's line for <paramref name="key"/>, in Redis's fields: "at" is an identity derived from the key (a
    /// value is not at a fixed address here; it stays the same while the key exists, as an in-place change keeps
    /// Redis's), serializedlength the value's canonical size; null for a missing key.
    /// </summary>
    public string? DebugObject(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_keys.Find(key) is not { } entry)
        {
            return null;
        }

        var serialized = entry.Value.CanonicalLength();
        var identity = System.IO.Hashing.XxHash64.HashToUInt64(key);
        var text = FormattableString.Invariant(
            $"Value at:0x{identity:x} refcount:1 encoding:{entry.Value.Encoding} serializedlength:{serialized} lru:0 lru_seconds_idle:0");
        if (entry.Value is Values.ListValue list)
        {
            text += FormattableString.Invariant(
                $" ql_nodes:1 ql_avg_node:{list.Count:0.00} ql_listpack_max:{_config.Get("list-max-listpack-size")} ql_compressed:{(_config.Get("list-compress-depth") != "0" ? 1 : 0)} ql_uncompressed_size:{serialized}");
        }

        return text;
    }

    /// <summary>
    /// The string the key at <paramref name="index"/> of the last <see cref="TakeKeyChanges"/> held before its change, as
    /// <see cref="WatchView"/> gives a value; false when it held none (absent, or another type), or values before are not
    /// recorded (<see cref="RecordsValuesBefore"/>). A value that had expired is the previous value of the key's deletion
    /// (as etcd gives a lease's expired key's), but none for a key that <paramref name="existsAfter"/> the command (it was
    /// gone, then created anew). Valid until <see cref="ReleaseWatchBefore"/> or the next apply.
    /// </summary>
    public bool WatchBefore(int index, bool existsAfter, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held)
    {
        value = default;
        held = default;
        var (before, expired) = _keys.Changes.Before(index);
        if (before is not Values.StringValue text || (expired && existsAfter))
            return false;
        WatchParts(text, out value, out held);
        return true;
    }

    // A string as the watch history takes it: its bytes, and its memory when it has one. A paged string's Span would be
    // made whole at every change: the history holds it by its memory instead.
    private static void WatchParts(Values.StringValue text, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held)
    {
        value = text.IsPaged ? default : text.Span;
        held = text.Memory;
    }

    /// <summary>Lets go of the values <see cref="WatchBefore"/> gives, once the changes were recorded.</summary>
    public void ReleaseWatchBefore() => _keys.Changes.ReleaseBefore();

    /// <summary>
    /// <paramref name="key"/> as a watch event shows it after a change: whether it exists (an expired key does not), and
    /// its value when it holds a string (<paramref name="hasValue"/>; false for another type). The value is the stored
    /// bytes themselves, not a copy: valid until the store changes again; <paramref name="held"/> is the same bytes as
    /// memory that never changes, for a value kept in an array (empty for a short string kept inside its object); for a
    /// long string kept in pages, only <paramref name="held"/> is given (its span is made when first read). Read-only.
    /// </summary>
    public bool WatchView(byte[] key, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held, out bool hasValue)
    {
        value = default;
        held = default;
        hasValue = false;
        var entry = _keys.Find(key);
        if (entry is null || entry.IsExpiredAt(Now))
            return false;
        if (entry.Value is Values.StringValue text)
        {
            WatchParts(text, out value, out held);
            hasValue = true;
        }

        return true;
    }
}
