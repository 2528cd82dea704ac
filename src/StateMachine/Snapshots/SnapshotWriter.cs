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
        writer.WriteBytes(SnapshotLayout.Magic);
        writer.WriteBytes([(byte)SnapshotLayout.FormatVersion, SnapshotLayout.FormatVersion >> 8]);
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

        writer.Finish();
    }
}
