using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Raft;

/// <summary>
/// Backups are snapshot files in the state machine's own format (checksummed): RAFTKV.BACKUP writes one from the
/// committed state, and <c>RestoreFrom</c> seeds a brand-new single-node cluster's data directory with one.
/// </summary>
internal static class Backup
{
    /// <summary>
    /// Writes the applied (committed) state to <paramref name="path"/>: temp file, fsync, rename. The temp file is a new
    /// file (never one that exists, so never through a link planted under its name), and the rename replaces whatever
    /// <paramref name="path"/> was, a link included, without following it.
    /// </summary>
    public static (long Index, long Term) Write(KvStateMachine stateMachine, string path)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        (long, long) position;
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                position = stateMachine.WriteSnapshot(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return position;
    }

    /// <summary>
    /// Verifies <paramref name="backupFile"/> completely (checksum included) and installs it as the only snapshot of
    /// an empty data directory, so the node starts from it with an empty log. The restored snapshot keeps its index
    /// and gets term 0: it is the first state of a new cluster, whose terms start again.
    /// </summary>
    public static long Install(string backupFile, DirectoryInfo snapshots)
    {
        long index;
        using (var stream = new FileStream(backupFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            index = SnapshotReader.Read(stream).Index;

        var target = Path.Combine(snapshots.FullName, $"{index}-0");
        File.Copy(backupFile, target + ".tmp", overwrite: true);
        using (var handle = File.OpenHandle(target + ".tmp", FileMode.Open, FileAccess.ReadWrite))
            RandomAccess.FlushToDisk(handle);
        File.Move(target + ".tmp", target);
        return index;
    }
}
