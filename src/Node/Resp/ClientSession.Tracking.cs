using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.PubSub;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>
/// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (Redis 7.0's client-side caching, see <see cref="TrackingTable"/>),
/// what each command of a tracking client tells the table, and the order of invalidations among replies: an invalidation
/// goes out only after the replies of every command the client had started when it was produced (as Redis sends the
/// invalidations a command causes after its reply), so it never overtakes the reply of a read it concerns.
/// </summary>
internal sealed partial class ClientSession
{
    private readonly Lock _pushGate = new();
    // Invalidations held until the replies of the commands this client had started are handed over: its own pushes
    // (To null) and the keys of those it redirects to another connection (To that connection).
    private readonly Queue<(long After, Reply Push, ClientSession? To)> _heldPushes = new();
    private long _commandsStarted;
    private long _commandsAnswered;

    // Commands run alone by the read loop whose replies are not yet handed to the output (read loop only).
    private long _aloneUnanswered;

    /// <summary>This connection's CLIENT TRACKING state.</summary>
    public ClientTracking Tracking { get; } = new();

    /// <summary>Queues an invalidation after the replies of every command this client has started; never blocks (the applier calls it).</summary>
    public void PushTracked(Reply push)
    {
        lock (_pushGate)
        {
            var started = Interlocked.Read(ref _commandsStarted);
            if (_heldPushes.Count == 0 && _commandsAnswered >= started)
                PushFirst(push);
            else
                _heldPushes.Enqueue((started, push, null));
        }
    }

    /// <summary>
    /// Sends an invalidation of this client's keys to its REDIRECT connection <paramref name="to"/>, after the replies of
    /// every command this client has started, as <see cref="PushTracked"/> does for its own: a read remembers its keys
    /// when it starts, and a change applied before the read runs invalidates (and forgets) them, so the invalidation
    /// must not reach the client before the value the read then returns, or the client would keep that value untracked.
    /// Never blocks; takes no other lock while holding this session's. Shaped for <paramref name="to"/> when sent
    /// (<see cref="TrackingTable.RedirectedMessage"/>): it may have switched protocol or unsubscribed meanwhile.
    /// </summary>
    public void PushRedirected(ClientSession to, Reply keys)
    {
        lock (_pushGate)
        {
            var started = Interlocked.Read(ref _commandsStarted);
            if (_heldPushes.Count > 0 || _commandsAnswered < started)
            {
                _heldPushes.Enqueue((started, keys, to));
                return;
            }
        }

        SendRedirected(to, keys);
    }

    private static void SendRedirected(ClientSession to, Reply keys)
    {
        if (TrackingTable.RedirectedMessage(to, keys) is { } message)
            to.PushTracked(message);
    }

    // Outside the holding session's lock: each redirect connection takes its own.
    private static void SendRedirected(List<(ClientSession To, Reply Keys)>? released)
    {
        if (released is null)
            return;
        foreach (var (to, keys) in released)
            SendRedirected(to, keys);
    }

    /// <summary>
    /// The connection closed: invalidations it held for its REDIRECT connection go there now (its keys were forgotten
    /// when they were invalidated, so nothing else would tell the client); its own go nowhere.
    /// </summary>
    private void ReleaseHeldRedirects()
    {
        List<(ClientSession To, Reply Keys)>? redirected = null;
        lock (_pushGate)
        {
            while (_heldPushes.TryDequeue(out var held))
            {
                if (held.To is { } to)
                    (redirected ??= []).Add((to, held.Push));
            }
        }

        SendRedirected(redirected);
    }

    /// <summary><paramref name="count"/> more commands have their replies handed to the output, in request order.</summary>
    private void CommandsAnswered(long count)
    {
        if (count == 0)
            return;
        List<(ClientSession To, Reply Keys)>? redirected = null;
        lock (_pushGate)
        {
            _commandsAnswered += count;
            while (_heldPushes.TryPeek(out var held) && held.After <= _commandsAnswered)
            {
                _heldPushes.Dequeue();
                if (held.To is { } to)
                    (redirected ??= []).Add((to, held.Push));
                else
                    PushFirst(held.Push);
            }
        }

        SendRedirected(redirected);
    }

    /// <summary>Writes the replies of commands run alone and counts those commands answered.</summary>
    private async Task WriteAloneRepliesAsync(List<Reply> replies)
    {
        if (replies.Count > 0)
            await WriteAsync(replies).ConfigureAwait(false);
        replies.Clear();
        CommandsAnswered(_aloneUnanswered);
        _aloneUnanswered = 0;
    }

    /// <summary>
    /// Called as a command starts, in request order: counts it in flight and, for a tracking client, remembers the keys
    /// of its reads (before they run, so no change after the read is missed) and, with NOLOOP, marks the keys of its writes
    /// (returned, for <see cref="ClientTracking.EndWrite"/> once the command has its reply).
    /// </summary>
    /// <param name="probe">
    /// For a tracking client's script (not inside MULTI): its keys are remembered before it runs, and forgotten again
    /// once its reply comes if the node that ran it reports that it called no read-only command (<see cref="ScriptEnded"/>).
    /// </param>
    private List<byte[]>? CommandStarting(CommandSpec? spec, byte[][] args, bool isClient, out ClientProbe? probe)
    {
        if (spec?.Id == CommandId.Exec)
            _transaction.TrackingPlan = null;
        var writes = TrackingStarting(spec, args, isClient, out var tracked);
        probe = tracked;

        // A script (alone or in EXEC) carries a probe in any case: the commands it calls that ACL refuses go to the ACL LOG.
        if (spec is not null && (!_transaction.IsActive || spec.Id == CommandId.Exec))
        {
            if (spec.Id == CommandId.Exec)
                _transaction.Probe = _transaction.TrackingPlan ?? (_transaction.Queued.Any(static q => q.Spec.Id.IsScriptCall()) ? new ClientProbe(this) : null);
            else if (probe is null && spec.Id.IsScriptCall())
                probe = new ClientProbe(this);
        }

        return writes;
    }

    /// <summary>The tracking part of <see cref="CommandStarting"/>: <paramref name="probe"/> is a tracking client's script's.</summary>
    private List<byte[]>? TrackingStarting(CommandSpec? spec, byte[][] args, bool isClient, out ScriptReadProbe? probe)
    {
        // Before this command counts as started: the invalidations of keys evicted for it come before its reply.
        if (_services.Tracking.IsListening)
            _services.Tracking.EvictBeforeCommand();
        var started = Interlocked.Increment(ref _commandsStarted);
        probe = null;
        var state = Tracking;
        if (spec is null || !state.Enabled)
            return null;
        var remembers = state.RemembersReads;

        // As Redis: CACHING lasts for the next command, but CLIENT's own and the commands of a MULTI until its end.
        if (!isClient && spec.Id != CommandId.Multi && (!_transaction.IsActive || spec.Id is CommandId.Exec or CommandId.Discard))
            state.Caching = false;
        if (_transaction.IsActive && spec.Id != CommandId.Exec)
            return null;

        List<byte[]>? writes = null;
        if (spec.Id == CommandId.Exec)
        {
            // Its reads are remembered as they run inside the transaction (ExecTrackingPlan), not now.
            var commands = new List<ExecTrackingPlan.Command>();
            var reads = false;
            foreach (var queued in _transaction.Queued)
            {
                var marked = writes?.Count ?? 0;
                if (!TrackedWrites(queued.Spec, queued.Request, ref writes))
                    continue;
                var read = remembers && RemembersRead(queued.Spec) ? KeysOf(queued.Spec, queued.Request).ToArray() : null;
                var ownWrites = writes is not null && writes.Count > marked ? writes.GetRange(marked, writes.Count - marked).ToArray() : null;
                reads |= read is not null;
                if (read is not null || ownWrites is not null)
                    commands.Add(new(queued.Request, read, queued.Spec.Id.IsScriptCall(), ownWrites));
            }

            // Without a read there is nothing to remember, and every NOLOOP mark ends with the reply before anything of
            // the client could remember its key.
            _transaction.TrackingPlan = reads ? new ExecTrackingPlan(_services.Tracking, this, started, commands, writes) : null;
        }
        else if (remembers && spec.Id.IsScriptCall() && spec.AcceptsArgumentCount(args.Length))
        {
            if (spec.IsWrite && state.NoLoop)
                (writes ??= []).AddRange(KeysOf(spec, args));
            var added = new List<string>();
            _services.Tracking.Remember(this, KeysOf(spec, args), added);
            probe = new ScriptReadProbe(this, started, added);
        }
        else
        {
            Track(spec, args, remembers, ref writes);
        }

        if (writes is not null)
            state.BeginWrite(writes);
        return writes;
    }

    /// <summary>
    /// The command's reply came: its NOLOOP marks end, those an EXEC's steps did not end already (under the list's lock,
    /// which <see cref="ExecTrackingPlan"/> takes as it ends a write's marks at its step; the list is left empty).
    /// </summary>
    private void EndOwnWrites(List<byte[]> ownWrites)
    {
        lock (ownWrites)
        {
            Tracking.EndWrite(ownWrites);
            ownWrites.Clear();
        }
    }

    private void Track(CommandSpec spec, byte[][] args, bool remembers, ref List<byte[]>? writes)
    {
        if (TrackedWrites(spec, args, ref writes) && remembers && RemembersRead(spec))
            _services.Tracking.Remember(this, KeysOf(spec, args));
    }

    /// <summary>
    /// With NOLOOP, adds the keys of a write to <paramref name="writes"/>; false for a command whose keys are not tracked
    /// (a wrong number of arguments, a pub/sub command).
    /// </summary>
    private bool TrackedWrites(CommandSpec spec, byte[][] args, ref List<byte[]>? writes)
    {
        if (!spec.AcceptsArgumentCount(args.Length) || (spec.Flags & CommandFlags.PubSub) != 0)
            return false;
        if (spec.IsWrite && Tracking.NoLoop)
            (writes ??= []).AddRange(KeysOf(spec, args));
        return true;
    }

    // A read-only command's keys, and a script's declared keys (Redis: only when it calls a read-only command, which
    // happens at apply; outside MULTI a ScriptReadProbe tells, inside EXEC its plan's step).
    private static bool RemembersRead(CommandSpec spec) => (spec.IsRead && !spec.IsWrite) || spec.Id.IsScriptCall();

    /// <summary>
    /// A script's reply came (before it is handed to the output): when the node that ran it reported that it called no
    /// read-only command, the keys it alone remembered are forgotten, as Redis never remembered them.
    /// </summary>
    private void ScriptEnded(ScriptReadProbe probe) => _services.Tracking.ForgetUnlessFollowed(this, probe);

    /// <summary>
    /// Commands this client's script called were refused by ACL (on the thread that ran it, the applier or a read's):
    /// recorded in this node's ACL LOG with context lua, as Redis does. A relayed script is logged here, on the leader,
    /// with the relaying connection's line: the follower its client is on never learns of them.
    /// </summary>
    internal void LogScriptRefusals(List<RaftKV.StateMachine.Acl.ScriptAclRefusal> refusals)
    {
        var info = DescribeClient();
        foreach (var refused in refusals)
            _services.Access.Log.Add(refused.Denial, Security.AclLog.Context.Lua, refused.Subject, refused.User, info, refused.Count);
    }

    /// <summary>The commands a script of this session called, counted in this node's INFO commandstats.</summary>
    internal void CountScriptCalls(RaftKV.StateMachine.Scripting.ScriptCalls calls) => _services.Stats.CalledByScript(calls);

    /// <summary>Commands this session has started, counted before each remembers its keys (<see cref="TrackingTable.ForgetUnlessFollowed"/>).</summary>
    internal long CommandsStarted => Interlocked.Read(ref _commandsStarted);

    private static IEnumerable<byte[]> KeysOf(CommandSpec spec, byte[][] args) =>
        RaftKV.StateMachine.Acl.AclRequest.Keys(spec, args).Select(i => args[i]);

    /// <summary>CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], as Redis checks it.</summary>
    private Reply TrackingCommand(byte[][] args)
    {
        long redirect = 0;
        bool broadcast = false, optIn = false, optOut = false, noLoop = false;
        var prefixes = new List<byte[]>();
        for (var j = 3; j < args.Length; j++)
        {
            var more = j < args.Length - 1;
            if (Ascii.EqualsIgnoreCase(args[j], "REDIRECT"u8) && more)
            {
                j++;
                if (redirect != 0)
                    return Reply.Error("ERR A client can only redirect to a single other client");
                if (!RedisNumber.TryParseLong(args[j], out redirect))
                    return Reply.Error(ErrorMessages.NotInteger);
                if (_services.Clients.Find(redirect) is null)
                    return Reply.Error("ERR The client ID you want redirect to does not exist");
            }
            else if (Ascii.EqualsIgnoreCase(args[j], "BCAST"u8))
                broadcast = true;
            else if (Ascii.EqualsIgnoreCase(args[j], "OPTIN"u8))
                optIn = true;
            else if (Ascii.EqualsIgnoreCase(args[j], "OPTOUT"u8))
                optOut = true;
            else if (Ascii.EqualsIgnoreCase(args[j], "NOLOOP"u8))
                noLoop = true;
            else if (Ascii.EqualsIgnoreCase(args[j], "PREFIX"u8) && more)
                prefixes.Add(args[++j]);
            else
                return Reply.Error(ErrorMessages.Syntax);
        }

        if (Ascii.EqualsIgnoreCase(args[2], "OFF"u8))
        {
            _services.Tracking.Disable(this);
            return Reply.Ok;
        }

        if (!Ascii.EqualsIgnoreCase(args[2], "ON"u8))
            return Reply.Error(ErrorMessages.Syntax);
        if (!broadcast && prefixes.Count > 0)
            return Reply.Error("ERR PREFIX option requires BCAST mode to be enabled");
        if (Tracking.Enabled && Tracking.Broadcast != broadcast)
            return Reply.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
        if (broadcast && (optIn || optOut))
            return Reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
        if (optIn && optOut)
            return Reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
        if ((optIn && Tracking.OptOut) || (optOut && Tracking.OptIn))
            return Reply.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
        if (broadcast && PrefixCollision(prefixes) is { } collision)
            return Reply.Error(collision);
        _services.Tracking.Enable(this, redirect, broadcast, optIn, optOut, noLoop, prefixes);
        return Reply.Ok;
    }

    // Redis's checkPrefixCollisionsOrReply: no prefix may start another, among the client's and those given.
    private string? PrefixCollision(List<byte[]> prefixes)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            var name = TrackingTable.Name(prefixes[i]);
            if (_services.Tracking.OverlappingPrefix(this, prefixes[i]) is { } existing)
                return $"ERR Prefix '{name}' overlaps with an existing prefix '{existing}'. Prefixes for a single client must not overlap.";
            for (var j = i + 1; j < prefixes.Count; j++)
            {
                var other = TrackingTable.Name(prefixes[j]);
                if (TrackingTable.Overlap(name, other))
                    return $"ERR Prefix '{name}' overlaps with another provided prefix '{other}'. Prefixes for a single client must not overlap.";
            }
        }

        return null;
    }

    private Reply CachingCommand(byte[] option)
    {
        if (!Tracking.Enabled)
            return Reply.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
        if (Ascii.EqualsIgnoreCase(option, "YES"u8))
        {
            if (!Tracking.OptIn)
                return Reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
        }
        else if (Ascii.EqualsIgnoreCase(option, "NO"u8))
        {
            if (!Tracking.OptOut)
                return Reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
        }
        else
        {
            return Reply.Error(ErrorMessages.Syntax);
        }

        Tracking.Caching = true;
        return Reply.Ok;
    }

    private Reply TrackingInfo()
    {
        var state = Tracking;
        var flags = new List<Reply> { Reply.Bulk(state.Enabled ? "on" : "off") };
        if (state.Broadcast)
            flags.Add(Reply.Bulk("bcast"));
        if (state.OptIn)
            flags.Add(Reply.Bulk("optin"));
        if (state.OptIn && state.Caching)
            flags.Add(Reply.Bulk("caching-yes"));
        if (state.OptOut)
            flags.Add(Reply.Bulk("optout"));
        if (state.OptOut && state.Caching)
            flags.Add(Reply.Bulk("caching-no"));
        if (state.NoLoop)
            flags.Add(Reply.Bulk("noloop"));
        if (state.BrokenRedirect)
            flags.Add(Reply.Bulk("broken_redirect"));
        var prefixes = state.Prefixes.Select(static p => (Reply)Reply.Bulk(Encoding.Latin1.GetBytes(p))).ToArray();
        return new MapReply(
        [
            new(Reply.Bulk("flags"), new SetReply(flags)),
            new(Reply.Bulk("redirect"), Reply.Integer(state.Enabled ? state.Redirect : -1)),
            new(Reply.Bulk("prefixes"), Reply.Array(prefixes)),
        ]);
    }

    /// <summary>CLIENT LIST's tracking flags, in Redis's order: t (tracking), R (redirect broken), B (BCAST).</summary>
    private string TrackingFlags() =>
        (Tracking.Enabled ? "t" : "") + (Tracking.BrokenRedirect ? "R" : "") + (Tracking.Broadcast ? "B" : "");
}
