using System.Globalization;

namespace RaftKV.Node.Raft;

/// <summary>
/// Unusable snapshot files found at start. An interrupted write or transfer used to leave a truncated file under a
/// valid "index-term" name (DotNext's SimpleStateMachine renamed before verifying); restoring it would stop the node.
/// <see cref="KvStateMachine.RestoreAsync"/> moves every invalid file above the newest valid one to
/// <c>snapshots/quarantine/</c> with a warning, so the node starts from its last good snapshot and its log (and the
/// leader sends a fresh snapshot if it needs one).
/// </summary>
internal static partial class SnapshotFiles
{
    public static void Quarantine(FileInfo file, string reason, ILogger logger)
    {
        var quarantine = Directory.CreateDirectory(Path.Combine(file.DirectoryName!, "quarantine"));
        var target = Path.Combine(quarantine.FullName, file.Name + "." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
        var name = file.Name;
        file.MoveTo(target);
        LogQuarantined(logger, name, reason, target);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {File} is unusable ({Reason}); moved to {Target}")]
    private static partial void LogQuarantined(ILogger logger, string file, string reason, string target);
}
