using System.Buffers;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Locks;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// The pieces of the snapshot format (<see cref="SnapshotLayout"/>), shared by the stop-the-world
/// <see cref="SnapshotWriter"/> and the sliced <see cref="IncrementalSnapshot"/> so that both give the same bytes.
/// </summary>
internal static class SnapshotEncoding
{
    /// <summary>
    /// Always the newest version: a version-3 snapshot may hold streams, which older readers cannot load, and whether
    /// it does is not known when the header is written.
    /// </summary>
    public static ushort VersionFor(KeyValueStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return SnapshotLayout.FormatVersion;
    }

    /// <summary>The configuration section (version 3 and 4): the changed parameters in ordinal name order (none: a count of 0).</summary>
    public static void WriteConfig(CanonicalWriter writer, RuntimeConfig config)
    {
        var changed = config.Changed.ToList();
        writer.WriteInt32(changed.Count);
        foreach (var (name, value) in changed)
        {
            writer.WriteString(System.Text.Encoding.UTF8.GetBytes(name));
            writer.WriteString(System.Text.Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>The script cache section (version 4): the bodies in ordinal SHA1 order.</summary>
    public static void WriteScripts(CanonicalWriter writer, KeyValueStore store) => store.Scripts.Cache.WriteTo(writer);

    /// <summary>The script cache section's bytes.</summary>
    public static byte[] EncodeScripts(KeyValueStore store)
    {
        var writer = new BufferWriter();
        WriteScripts(writer, store);
        return writer.ToArray();
    }

    /// <summary>The cluster secret section (version 5): the secret as a string, empty when none is set.</summary>
    public static void WriteSecret(CanonicalWriter writer, KeyValueStore store) =>
        writer.WriteString(store.ClusterSecretState.Value ?? []);

    /// <summary>The cluster secret section's bytes.</summary>
    public static byte[] EncodeSecret(KeyValueStore store)
    {
        var writer = new BufferWriter();
        WriteSecret(writer, store);
        return writer.ToArray();
    }

    public static void WriteHeader(CanonicalWriter writer, ushort version, long index, long term, long now, long keyCount)
    {
        writer.WriteBytes(SnapshotLayout.Magic);
        writer.WriteBytes([(byte)version, (byte)(version >> 8)]);
        writer.WriteInt64(index);
        writer.WriteInt64(term);
        writer.WriteInt64(now);
        writer.WriteInt64(keyCount);
    }

    public static void WriteEntry(CanonicalWriter writer, KeyEntry entry)
    {
        writer.WriteString(entry.KeySpan);
        writer.WriteByte((byte)entry.Value.Kind);
        writer.WriteInt64(entry.ExpireAtMs);
        writer.WriteInt64(entry.Revision);
        entry.Value.WriteSnapshot(writer);
    }

    /// <summary>The revision section (version 4): the tombstones' horizon, then the tombstones oldest first.</summary>
    public static void WriteRevisions(CanonicalWriter writer, KeyTable keys)
    {
        writer.WriteInt64(keys.Tombstones.Horizon);
        writer.WriteInt32(keys.Tombstones.Count);
        foreach (var (key, revision) in keys.Tombstones.OldestFirst())
        {
            writer.WriteString(key);
            writer.WriteInt64(revision);
        }
    }

    /// <summary>The revision section's bytes.</summary>
    public static byte[] EncodeRevisions(KeyTable keys)
    {
        var writer = new BufferWriter();
        WriteRevisions(writer, keys);
        return writer.ToArray();
    }

    /// <summary>The lock section (version 2 only): the last token, then every lock in name order.</summary>
    public static void WriteLocks(CanonicalWriter writer, LockTable locks)
    {
        writer.WriteInt64(locks.LastToken);
        writer.WriteInt64(locks.Count);
        foreach (var entry in locks.InOrder())
        {
            writer.WriteString(entry.Name);
            writer.WriteString(entry.Owner);
            writer.WriteInt64(entry.Token);
            writer.WriteInt64(entry.ExpireAtMs);
            writer.WriteInt64(entry.TtlMs);
        }
    }

    /// <summary>One entry's snapshot bytes, as <see cref="WriteEntry"/> would stream them.</summary>
    public static byte[] EncodeEntry(KeyEntry entry)
    {
        var writer = new BufferWriter();
        WriteEntry(writer, entry);
        return writer.ToArray();
    }

    /// <summary>The lock section's bytes.</summary>
    public static byte[] EncodeLocks(LockTable locks)
    {
        var writer = new BufferWriter();
        WriteLocks(writer, locks);
        return writer.ToArray();
    }

    private sealed class BufferWriter : CanonicalWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public override void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
