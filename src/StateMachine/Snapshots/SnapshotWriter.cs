using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// Writes a store as a snapshot stream (<see cref="SnapshotLayout"/>) in 64 KiB chunks, never holding the
/// whole snapshot in memory. The caller must not apply entries to the store while it is being written.
/// Deterministic: equal states give byte-equal snapshots.
/// </summary>
public static class SnapshotWriter
{
    public static void Write(KeyValueStore store, Stream output, long index, long term)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new SnapshotOutput(output);
        var locks = store.Locks;
        var version = locks.LastToken == 0 && locks.Count == 0 ? SnapshotLayout.KeysOnlyVersion : SnapshotLayout.FormatVersion;
        writer.WriteBytes(SnapshotLayout.Magic);
        writer.WriteBytes([(byte)version, (byte)(version >> 8)]);
        writer.WriteInt64(index);
        writer.WriteInt64(term);
        writer.WriteInt64(store.Now);
        writer.WriteInt64(store.KeyCount);
        foreach (KeyEntry entry in store.Keys.InOrder())
        {
            writer.WriteString(entry.Key);
            writer.WriteByte((byte)entry.Value.Kind);
            writer.WriteInt64(entry.ExpireAtMs);
            entry.Value.WriteCanonical(writer);
        }

        if (version != SnapshotLayout.KeysOnlyVersion)
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

        writer.Finish();
    }
}
