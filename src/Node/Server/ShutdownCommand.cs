using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops this node, as SIGTERM does (the host's graceful stop: a leader
/// hands over nothing and the others elect a new one; the log is already on disk, so nothing is lost). SAVE first takes
/// a snapshot (compacting the log) and, unless FORCE, refuses to stop when that fails, as Redis refuses when its save
/// fails; NOSAVE skips the snapshot the graceful stop otherwise takes of a large log tail (NodeOptions.SnapshotOnStop).
/// NOW and FORCE are accepted (there is no replica catch-up wait to skip). ABORT answers that no shutdown is in
/// progress: the stop starts at once and cannot be called back. On success the client gets no reply: the connection
/// closes with the node, as in Redis.
/// </summary>
internal sealed partial class ShutdownCommand(IHostApplicationLifetime lifetime, ILogger<ShutdownCommand> logger)
{
    private readonly ILogger _logger = logger;

    public async ValueTask<Reply> ExecuteAsync(byte[][] args, string client, Action closeConnection, Func<CancellationToken, ValueTask<Reply>> snapshot, Action skipSnapshotOnStop, CancellationToken token)
    {
        bool save = false, noSave = false, force = false, abort = false;
        foreach (var arg in args.AsSpan(1))
        {
            if (Ascii.EqualsIgnoreCase(arg, "NOSAVE"u8))
                noSave = true;
            else if (Ascii.EqualsIgnoreCase(arg, "SAVE"u8))
                save = true;
            else if (Ascii.EqualsIgnoreCase(arg, "NOW"u8))
                continue;
            else if (Ascii.EqualsIgnoreCase(arg, "FORCE"u8))
                force = true;
            else if (Ascii.EqualsIgnoreCase(arg, "ABORT"u8))
                abort = true;
            else
                return Reply.Error(ErrorMessages.Syntax);
        }

        if ((save && noSave) || (abort && args.Length != 2))
            return Reply.Error(ErrorMessages.Syntax);
        if (abort)
            return Reply.Error("ERR No shutdown in progress.");
        if (save && await snapshot(token).ConfigureAwait(false) is ErrorReply failed && !force)
        {
            LogSaveFailed(failed.Message);
            return Reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
        }

        // NOSAVE: not even the snapshot a graceful stop takes when the log's tail is large (RaftHost), as Redis skips the
        // save its save points would make.
        if (noSave)
            skipSnapshotOnStop();
        LogShutdown(client);
        lifetime.StopApplication();

        // No reply: the connection ends now (waiting for the server to close it would hold the server's own stop).
        closeConnection();
        token.ThrowIfCancellationRequested();
        throw new OperationCanceledException("SHUTDOWN closed the connection");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SHUTDOWN from {Client}: stopping this node")]
    private partial void LogShutdown(string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SHUTDOWN SAVE refused: the snapshot failed: {Reason}")]
    private partial void LogSaveFailed(string reason);
}
