using System.Globalization;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Raft;

/// <summary>
/// Startup check of the snapshot folder. DotNext restores the snapshot file with the highest index, and a failed
/// InstallSnapshot transfer leaves a truncated file under a valid "index-term" name; restoring it would stop the
/// node. Invalid files above the newest valid one are moved to <c>snapshots/quarantine/</c> with a warning, so the
/// node starts from its last good snapshot and its log (and the leader sends a fresh snapshot if it needs one).
/// </summary>
internal static partial class SnapshotFiles
{
    public static void QuarantineInvalid(DirectoryInfo snapshots, ILogger logger)
    {
        foreach (var file in SnapshotFile.List(snapshots).Select(static s => s.File))
        {
            try
            {
                using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                SnapshotReader.Read(stream);
                return;
            }
            catch (SnapshotFormatException e)
            {
                var quarantine = Directory.CreateDirectory(Path.Combine(snapshots.FullName, "quarantine"));
                var target = Path.Combine(quarantine.FullName, file.Name + "." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
                file.MoveTo(target);
                LogQuarantined(logger, file.Name, e.Message, target);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {File} is unusable ({Reason}); moved to {Target}")]
    private static partial void LogQuarantined(ILogger logger, string file, string reason, string target);
}
