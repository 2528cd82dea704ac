using System.Globalization;
using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.PubSub;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>CLIENT KILL, PAUSE, UNPAUSE, REPLY, NO-EVICT and UNBLOCK, and what they do to this session's commands.</summary>
internal sealed partial class ClientSession
{
    // CLIENT REPLY: OFF suppresses every reply until ON; SKIP the next command's (SKIP itself answers nothing).
    private bool _replyOff;
    private int _skipReplies;

    /// <summary>
    /// Runs one request as <see cref="ExecuteUnfilteredAsync"/> does (which waits for any CLIENT PAUSE that holds it), and
    /// drops its reply while CLIENT REPLY says so. Whether a reply is dropped is decided when the command starts (in
    /// request order), so pipelined commands running concurrently drop exactly the replies Redis would.
    /// </summary>
    private ValueTask<Reply?> ExecuteAsync(RespRequest request, bool afterPipelinedWrites = false, ForwardRun? run = null)
    {
        var known = CommandTable.TryGet(request[0], out var spec);
        var isClient = known && spec!.Id == CommandId.Client;
        var ownWrites = CommandStarting(spec, request.Arguments, isClient, out var probe);

        // As Redis: every reply is subject to CLIENT REPLY but CLIENT REPLY's own, and RESET's, which ends the mode.
        var exempt = (isClient && request.Count > 1 && Ascii.EqualsIgnoreCase(request[1], "REPLY"u8)) || (known && spec!.Id == CommandId.Reset);
        var suppress = !exempt && (_replyOff || _skipReplies > 0);
        if (!exempt && _skipReplies > 0)
            _skipReplies--;
        // Nothing to do afterwards (the usual case): no state machine of its own around the command's. A tracking client's
        // script has something to do afterwards: maybe forget the keys it remembered (ScriptEnded).
        if (ownWrites is null && probe is null && !suppress)
            return ExecuteUnfilteredAsync(request, afterPipelinedWrites, run);
        return ExecuteAndFinishAsync(request, afterPipelinedWrites, run, ownWrites, suppress, probe);
    }

    private async ValueTask<Reply?> ExecuteAndFinishAsync(RespRequest request, bool afterPipelinedWrites, ForwardRun? run,
        List<byte[]>? ownWrites, bool suppress, ClientProbe? probe)
    {
        Reply? reply;
        try
        {
            reply = await ExecuteUnfilteredAsync(request, afterPipelinedWrites, run, probe).ConfigureAwait(false);
        }
        finally
        {
            if (ownWrites is not null)
                EndOwnWrites(ownWrites);
            if (probe is ScriptReadProbe read)
                ScriptEnded(read);
        }

        return suppress ? null : reply;
    }

    // Commands of this session held by CLIENT PAUSE now: the client counts as blocked (INFO blocked_clients, flag b), as
    // Redis blocks a paused client.
    private int _pausedCommands;

    /// <summary>Whether a command of this client waits for CLIENT PAUSE to end.</summary>
    public bool IsPaused => Volatile.Read(ref _pausedCommands) > 0;

    // Waits while the pause holds the command: under PAUSE ALL every command but CLIENT, under PAUSE WRITE those Redis
    // flags write or may-replicate (MayWriteAsync). Called after the checks Redis makes before its pause check (argument
    // count, authentication, ACL, subscribe context, BUSY, OOM), so their refusals are answered at once.
    private async ValueTask PausedAsync(CommandSpec spec, byte[][] args)
    {
        var pause = _services.Clients.Pause;
        var wait = pause.WaitAsync(await MayWriteAsync(spec, args).ConfigureAwait(false), _closed.Token);
        if (wait.IsCompletedSuccessfully)
            return;
        Interlocked.Increment(ref _pausedCommands);
        try
        {
            await wait.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pausedCommands);
        }
    }

    /// <summary>
    /// Whether CLIENT PAUSE WRITE holds the command, as Redis's write and may-replicate flags: writes; PFCOUNT and PUBLISH;
    /// EVAL, EVALSHA and FCALL unless the script or function declares no-writes (its flags replace the
    /// command's); EXEC when a queued command is held so (as in Redis, such a command also waits
    /// for the pause before it is queued).
    /// </summary>
    private async ValueTask<bool> MayWriteAsync(CommandSpec spec, byte[][] args)
    {
        if (spec.Id == CommandId.Exec)
        {
            foreach (var queued in _transaction.Queued)
            {
                if (await MayWriteAsync(queued.Spec, queued.Request).ConfigureAwait(false))
                    return true;
            }

            return false;
        }

        if (spec.Id is CommandId.Eval or CommandId.Evalsha or CommandId.Fcall)
        {
            if (args.Length < 2)
                return true;
            var target = args[1];
            return await _services.Raft.StateMachine.ReadAsync(store => store.ScriptMayWrite(spec.Id, target), _closed.Token).ConfigureAwait(false);
        }

        return spec.IsWrite || spec.Id is CommandId.Pfcount or CommandId.Publish or CommandId.Spublish;
    }

    /// <summary>Closes this connection now (CLIENT KILL from another client).</summary>
    public void Kill()
    {
        Volatile.Write(ref _killed, 1);
        _connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("Killed by CLIENT KILL"));
    }

    // Set by Kill: the session leaves the client list only when its loop ends, after the abort; a second CLIENT KILL
    // meanwhile must not count it again (Redis frees a killed client before it serves the next command).
    private int _killed;

    private bool IsKilled => Volatile.Read(ref _killed) == 1;

    /// <summary>Ends the connection with no reply to the command running (SHUTDOWN, as Redis closes it).</summary>
    public void CloseWithoutReply()
    {
        _connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("SHUTDOWN"));
        _closed.Cancel();
    }

    private Reply? ReplyMode(byte[] mode)
    {
        var word = Encoding.ASCII.GetString(mode).ToUpperInvariant();
        switch (word)
        {
            case "ON":
                _replyOff = false;
                _skipReplies = 0;
                return Reply.Ok;
            case "OFF":
                _replyOff = true;
                return null;
            case "SKIP":
                if (!_replyOff)
                    _skipReplies = 1;
                return null;
            default:
                return Reply.Error(ErrorMessages.Syntax);
        }
    }

    private static Reply OnOff(byte[] value) =>
        Encoding.ASCII.GetString(value).ToUpperInvariant() is "ON" or "OFF" ? Reply.Ok : Reply.Error(ErrorMessages.Syntax);

    private Reply PauseClients(byte[][] args)
    {
        var writesOnly = false;
        if (args.Length == 4)
        {
            var mode = Encoding.ASCII.GetString(args[3]).ToUpperInvariant();
            if (mode is not ("WRITE" or "ALL"))
                return Reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
            writesOnly = mode == "WRITE";
        }

        if (!RedisNumber.TryParseLong(args[2], out var timeout))
            return Reply.Error("ERR timeout is not an integer or out of range");
        if (timeout < 0)
            return Reply.Error("ERR timeout is negative");
        _services.Clients.Pause.Pause(DateTimeOffset.UtcNow.AddMilliseconds(Math.Min(timeout, 365L * 24 * 3600 * 1000)), writesOnly);
        return Reply.Ok;
    }

    /// <summary>
    /// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the blocking wait of this node's client id, answering 1, or 0 when that
    /// client is not blocked here (a client whose blocking command is relayed to the leader is not ended from here).
    /// </summary>
    private Reply Unblock(byte[][] args)
    {
        var asError = false;
        if (args.Length == 4)
        {
            var reason = Encoding.ASCII.GetString(args[3]).ToUpperInvariant();
            if (reason is not ("TIMEOUT" or "ERROR"))
                return Reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            asError = reason == "ERROR";
        }

        if (!RedisNumber.TryParseLong(args[2], out var id))
            return Reply.Error(ErrorMessages.NotInteger);
        var target = _services.Clients.Snapshot().FirstOrDefault(session => session.Id == id);
        return target is { IsBlocked: true, Wait: { } wait } && wait.TryUnblock(asError) ? Reply.One : Reply.Zero;
    }

    /// <summary>CLIENT KILL addr:port (old form: OK or "No such client"), or filters (the number of clients closed).</summary>
    private Reply KillClients(byte[][] args)
    {
        string? addr = null, laddr = null, type = null, user = null;
        long id = 0;
        var skipMe = true;
        if (args.Length == 3)
        {
            addr = Encoding.UTF8.GetString(args[2]);
            skipMe = false;
        }
        else
        {
            for (var i = 2; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length)
                    return Reply.Error(ErrorMessages.Syntax);
                var option = Encoding.ASCII.GetString(args[i]).ToUpperInvariant();
                var value = Encoding.UTF8.GetString(args[i + 1]);
                switch (option)
                {
                    case "ID":
                        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out id) || id < 1)
                            return Reply.Error("ERR client-id should be greater than 0");
                        break;
                    case "TYPE":
                        type = value.ToLowerInvariant();
                        if (type is not ("normal" or "master" or "slave" or "replica" or "pubsub"))
                            return Reply.Error($"ERR Unknown client type '{value}'");
                        break;
                    case "ADDR":
                        addr = value;
                        break;
                    case "LADDR":
                        laddr = value;
                        break;
                    case "USER":
                        user = Encoding.Latin1.GetString(args[i + 1]);
                        if (_services.Access.Users.Find(user) is null)
                            return Reply.Error($"ERR No such user '{value}'");
                        break;
                    case "SKIPME":
                        var yesNo = value.ToLowerInvariant();
                        if (yesNo is not ("yes" or "no"))
                            return Reply.Error(ErrorMessages.Syntax);
                        skipMe = yesNo == "yes";
                        break;
                    default:
                        return Reply.Error(ErrorMessages.Syntax);
                }
            }
        }

        var killed = 0;
        var killSelf = false;
        foreach (var session in _services.Clients.Snapshot())
        {
            var sessionType = session.Subscriptions.Count > 0 ? "pubsub" : "normal";
            if ((addr is not null && session.Address != addr) || (laddr is not null && session.LocalAddress != laddr)
                || (id != 0 && session.Id != id) || (type is not null && type != sessionType) || (session == this && skipMe)
                || (user is not null && session.Identity.UserName != user) || session.IsKilled)
                continue;
            killed++;
            if (session == this)
                killSelf = true;
            else
                session.Kill();
        }

        // This client is closed after its reply, as Redis does.
        if (killSelf)
            Quit();
        if (args.Length == 3)
            return killed == 0 ? Reply.Error("ERR No such client") : Reply.Ok;
        return Reply.Integer(killed);
    }
}
