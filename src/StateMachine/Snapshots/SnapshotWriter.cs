using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// Writes a store as a snapshot stream (<see cref="SnapshotLayout"/>) in 64 KiB chunks, never holding the
/// whole snapshot in memory. The caller must not apply entries to the store while it is being written
/// (<see cref="IncrementalSnapshot"/> is the form that lets applies run between slices).
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
        var version = SnapshotEncoding.VersionFor(store);
        SnapshotEncoding.WriteHeader(writer, version, index, term, store.Now, store.KeyCount);
        if (version >= SnapshotLayout.ConfigVersion)
        {
            SnapshotEncoding.WriteConfig(writer, store.Config);
        }

        foreach (KeyEntry entry in store.Keys.InOrder())
        {
            SnapshotEncoding.WriteEntry(writer, entry);
        }

        if (version != SnapshotLayout.KeysOnlyVersion)
        {
            SnapshotEncoding.WriteLocks(writer, locks);
        }

        if (version >= SnapshotLayout.RevisionsVersion)
        {
            SnapshotEncoding.WriteRevisions(writer, store.Keys);
        }

        if (version >= SnapshotLayout.ScriptsVersion)
        {
            SnapshotEncoding.WriteScripts(writer, store);
            FunctionSnapshot.Write(writer, store.Functions.Current);
        }

        if (version >= SnapshotLayout.SecretVersion)
        {
            SnapshotEncoding.WriteSecret(writer, store);
        }

        if (version >= SnapshotLayout.AclVersion)
        {
            AclSnapshot.Write(writer, store.Acl.Current);
        }

        writer.Finish();
    }
}
