using System.Globalization;
using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// Server and admin commands answered by this node from its own view: INFO, ROLE, CONFIG, COMMAND, TIME,
/// DEBUG (DIGEST reads the local replica on purpose, so replicas can be compared), CLUSTER, SENTINEL, LASTSAVE, SHUTDOWN,
/// SLOWLOG, WAIT.
/// </summary>
internal sealed class ServerCommands(
    RaftHost raft, InfoBuilder info, ServerInfo server, TimeProvider clock, ConfigCommand config, ExpirySweeper sweeper,
    ScriptCommand script, FunctionCommand function, Microsoft.Extensions.Options.IOptions<Configuration.NodeOptions> options,
    RaftKV.Node.Security.AclCommand acl, MembershipCommands membership, SentinelCommand sentinel, IMemberAddresses addresses,
    CommandStats stats, ShutdownCommand shutdown, RaftKV.Node.PubSub.TrackingTable tracking, SlowLog slowLog, LatencyMonitor latency,
    WaitCommand wait, FailoverCommand failover)
{
    public ValueTask<Reply> ExecuteAsync(CommandSpec spec, byte[][] args, ClientSession session, CancellationToken token)
    {
        if (spec.Id == CommandId.Config)
            return config.ExecuteAsync(args, session, token);
        if (spec.Id == CommandId.Function)
            return function.ExecuteAsync(args, session, token);
        if (spec.Id == CommandId.Acl)
            return acl.ExecuteAsync(args, session, session.Identity, token);
        if (spec.Id == CommandId.Script)
            return script.ExecuteAsync(args, session, token);
        if (spec.Id is CommandId.RaftkvMembers or CommandId.RaftkvMemberAdd or CommandId.RaftkvMemberRemove or CommandId.RaftkvLeaderTransfer)
            return membership.ExecuteAsync(spec.Id, args, session, token);
        if (spec.Id == CommandId.Shutdown)
            return shutdown.ExecuteAsync(args, session.Address, session.CloseWithoutReply, token => SnapshotAsync(save: true, token), raft.SkipSnapshotOnStop, token);
        if (spec.Id == CommandId.Debug && args.Length == 3 && Ascii.EqualsIgnoreCase(args[1], "SET-DISABLE-DENY-SCRIPTS"u8))
        {
            // atoi, as Redis. A CONFIG SET entry of a hidden parameter: every replica runs the scripts it affects.
            var on = int.TryParse(Encoding.ASCII.GetString(args[2]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var flag) && flag != 0;
            return config.ExecuteAsync(["CONFIG"u8.ToArray(), "SET"u8.ToArray(), "debug-disable-deny-scripts"u8.ToArray(), on ? "yes"u8.ToArray() : "no"u8.ToArray()], session, token);
        }

        if (spec.Id == CommandId.Debug && args.Length == 3 && Ascii.EqualsIgnoreCase(args[1], "SLEEP"u8))
            return DebugSleepAsync(args[2], token);
        if (spec.Id == CommandId.Info)
            return InfoAsync(args, session, token);
        if (spec.Id == CommandId.Wait)
            return wait.ExecuteAsync(args, session, mayBlock: !session.RunningExec, token);
        if (spec.Id == CommandId.Failover)
            return failover.ExecuteAsync(args, token);
        if (spec.Id == CommandId.Memory)
            return MemoryCommand.ExecuteAsync(raft, args, token);
        if (spec.Id == CommandId.Debug)
            return DebugAsync(args, token);
        Reply? reply = spec.Id switch
        {
            CommandId.Role => Role(),
            CommandId.Latency => LatencyCommand.Execute(args, stats, latency, raft.IsStarted ? raft.StateMachine.LatencyMonitorThreshold : 0),
            CommandId.Slowlog => slowLog.Execute(args, raft.IsStarted ? raft.StateMachine.Slowlog.MaxLen : 128),
            CommandId.Command => CommandCommand.Execute(args),
            CommandId.Time => Time(),
            CommandId.Cluster => Reply.Error("ERR This instance has cluster support disabled"),
            CommandId.Sentinel => sentinel.Execute(args),
            CommandId.Lastsave => Reply.Integer(server.StartedAt.ToUnixTimeSeconds()),
            CommandId.RaftkvBackup => BackupCommand(args[1]),
            CommandId.RaftkvSnapshot or CommandId.Save => null,
            CommandId.Bgsave => Bgsave(args),
            CommandId.Bgrewriteaof => Bgrewriteaof(),
            CommandId.Pfselftest => null,
            CommandId.Module => ModuleCommand.Execute(args),
            CommandId.Replicaof or CommandId.Slaveof => Reply.Error(
                $"ERR {spec.Name.ToUpperInvariant()} is not allowed: a RaftKV node replicates through Raft (RAFTKV.MEMBER.ADD and RAFTKV.MEMBER.REMOVE change the members)"),
            CommandId.Sync or CommandId.Psync or CommandId.Replconf => Reply.Error(
                $"ERR {spec.Name.ToUpperInvariant()} is not supported: a RaftKV node replicates through Raft (RAFTKV.BACKUP writes a copy of the state)"),
            _ => Reply.Error(ErrorMessages.UnknownCommand(spec.Name, args.Skip(1).ToList())),
        };
        if (reply is not null)
            return ValueTask.FromResult(reply);
        return spec.Id == CommandId.Pfselftest ? SelfTestAsync() : SnapshotAsync(spec.Id == CommandId.Save, token);
    }

    private async ValueTask<Reply> InfoAsync(byte[][] args, ClientSession session, CancellationToken token)
    {
        var text = await info.BuildAsync(args.Skip(1).Select(static a => Encoding.UTF8.GetString(a)).ToList(), session, token).ConfigureAwait(false);
        return new VerbatimReply("txt", Encoding.UTF8.GetBytes(text));
    }

    /// <summary>PFSELFTEST checks the HLL code, not the keyspace: seconds of CPU, so on the thread pool, not the session.</summary>
    private static async ValueTask<Reply> SelfTestAsync()
    {
        var failure = await Task.Run(() => RaftKV.StateMachine.HyperLogLog.HyperLogLogSelfTest.Run((ulong)Random.Shared.NextInt64())).ConfigureAwait(false);
        return failure is null ? Reply.Ok : Reply.Error(failure);
    }

    /// <summary>
    /// RAFTKV.SNAPSHOT: this node snapshots (and compacts its log) after the next applied entry. On the leader a
    /// no-op entry is proposed so that happens at once, and once the snapshot is written and published a second one,
    /// which makes the log flush (and so compact) at once and moves the entries' clock on. A follower snapshots on
    /// the next entry it applies.
    /// </summary>
    /// <remarks>
    /// SAVE is the same snapshot (Redis's SAVE writes the dataset to disk; RaftKV's log is always on disk and a snapshot
    /// compacts it) answered OK once written, or an error when it is only scheduled (on a follower, or when leadership
    /// changed meanwhile).
    /// </remarks>
    private async ValueTask<Reply> SnapshotAsync(bool save, CancellationToken token)
    {
        if (!raft.IsStarted)
            return Reply.Error(CommandExecutor.NoLeader);
        server.SaveStarted();
        try
        {
            var reply = await WriteSnapshotAsync(token).ConfigureAwait(false);
            return !save ? reply : reply == SnapshotWritten ? Reply.Ok : Reply.Error(SaveScheduled);
        }
        finally
        {
            server.SaveEnded();
        }
    }

    private const string SaveScheduled = "ERR The snapshot is scheduled for the next applied entry: this node is not the leader";

    private static readonly Reply SnapshotWritten = Reply.Simple("Background snapshot started");

    /// <summary>BGSAVE [SCHEDULE]: the snapshot is written in the background, as Redis forks for it.</summary>
    private Reply Bgsave(byte[][] args)
    {
        if (args.Length > 2 || (args.Length == 2 && !Encoding.ASCII.GetString(args[1]).Equals("SCHEDULE", StringComparison.OrdinalIgnoreCase)))
            return Reply.Error(ErrorMessages.Syntax);
        if (server.IsSaving)
            return Reply.Error("ERR Background save already in progress");
        _ = SnapshotAsync(save: false, CancellationToken.None).AsTask();
        return Reply.Simple("Background saving started");
    }

    /// <summary>
    /// BGREWRITEAOF: Redis rewrites its append-only file into the smallest one that rebuilds the dataset; RaftKV's
    /// counterpart is a snapshot, which lets the write-ahead log be compacted. Started in the background, as BGSAVE.
    /// </summary>
    private Reply Bgrewriteaof()
    {
        if (server.IsSaving)
            return Reply.Error("ERR Background append only file rewriting already in progress");
        _ = SnapshotAsync(save: false, CancellationToken.None).AsTask();
        return Reply.Simple("Background append only file rewriting started");
    }

    private async ValueTask<Reply> WriteSnapshotAsync(CancellationToken token)
    {
        var written = raft.StateMachine.SnapshotsWritten;
        raft.StateMachine.RequestSnapshot();
        if (!raft.IsLeader)
            return Reply.Simple("Background snapshot scheduled for the next applied entry");
        try
        {
            await ReplicateNoOpAsync(token).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromMinutes(10));
            while (raft.StateMachine.SnapshotsWritten == written)
                await Task.Delay(10, timeout.Token).ConfigureAwait(false);
            await ReplicateNoOpAsync(token).ConfigureAwait(false);
            return SnapshotWritten;
        }
        catch (Exception e) when (e is DotNext.Net.Cluster.Consensus.Raft.NotLeaderException or OperationCanceledException)
        {
            return Reply.Simple("Background snapshot scheduled for the next applied entry");
        }
    }

    /// <summary>
    /// DEBUG SLEEP seconds: Redis blocks its whole server; here only this connection waits (other clients and the Raft
    /// node go on), at most a minute. A non-number sleeps 0, as strtod gives.
    /// </summary>
    private static async ValueTask<Reply> DebugSleepAsync(byte[] seconds, CancellationToken token)
    {
        if (double.TryParse(Encoding.ASCII.GetString(seconds), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0)
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(value, 60)), token).ConfigureAwait(false);
        return Reply.Ok;
    }

    public Reply HelloReply(ClientSession session) => new MapReply(
    [
        Pair("server", Reply.Bulk("redis")),
        Pair("version", Reply.Bulk(ServerInfo.RedisVersion)),
        Pair("proto", Reply.Integer(session.ProtocolVersion)),
        Pair("id", Reply.Integer(session.Id)),
        Pair("mode", Reply.Bulk("standalone")),
        Pair("role", Reply.Bulk(raft.IsLeader ? "master" : "replica")),
        Pair("modules", Reply.EmptyArray),
    ]);

    private static KeyValuePair<Reply, Reply> Pair(string key, Reply value) => new(Reply.Bulk(key), value);

    private Reply Role()
    {
        var offset = raft.IsStarted ? raft.StateMachine.AppliedIndex : 0;
        if (raft.IsLeader)
        {
            // The followers by the RESP address clients reach them at (not their Raft endpoint).
            var replicas = addresses.Members.Where(static m => !m.IsSelf && m.Resp is not null)
                .Select(m => Configuration.EndpointParser.Split(m.Resp!))
                .Select(a => (Reply)Reply.Array(Reply.Bulk(a.Host), Reply.Bulk(a.Port.ToString(CultureInfo.InvariantCulture)), Reply.Bulk(offset.ToString(CultureInfo.InvariantCulture))))
                .ToArray();
            return Reply.Array(Reply.Bulk("master"), Reply.Integer(offset), Reply.Array(replicas));
        }

        var leader = raft.LeaderRespEndpoint;
        var (host, port) = leader is null ? ("?", 0) : Configuration.EndpointParser.Split(leader);
        return Reply.Array(Reply.Bulk("slave"), Reply.Bulk(host), Reply.Integer(port),
            Reply.Bulk(leader is null ? "connect" : "connected"), Reply.Integer(offset));
    }

    /// <summary>
    /// RAFTKV.BACKUP file: writes this node's applied state, a committed prefix of the log, to a file inside this node's
    /// backup directory (<see cref="Security.BackupPath"/> refuses anything else) and names the file written.
    /// Run it on the leader for a backup that holds every write acknowledged before the command.
    /// </summary>
    private Reply BackupCommand(byte[] name)
    {
        if (!raft.IsStarted)
            return Reply.Error(CommandExecutor.NoLeader);
        try
        {
            if (!Security.BackupPath.TryResolve(options.Value.BackupDirectoryPath, Encoding.UTF8.GetString(name), out var path, out var refused))
                return Reply.Error(refused!);
            var (index, term) = Backup.Write(raft.StateMachine, path);
            return Reply.Simple($"OK index={index} term={term} file={path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Reply.Error("ERR backup failed: " + e.Message);
        }
    }

    private ValueTask ReplicateNoOpAsync(CancellationToken token)
    {
        var noop = RaftKV.StateMachine.Log.LogEntryCodec.Encode(
            new RaftKV.StateMachine.Log.LogCommand(CommandId.NoOp, clock.GetUtcNow().ToUnixTimeMilliseconds(), 0, []));
        return DotNext.Net.Cluster.Consensus.Raft.RaftClusterExtensions.ReplicateAsync(raft.Cluster, noop, null, token);
    }

    private Reply Time()
    {
        var now = clock.GetUtcNow();
        var micros = now.ToUnixTimeMilliseconds() * 1000 + (now.Ticks % TimeSpan.TicksPerMillisecond) / 10;
        return Reply.Array(
            Reply.Bulk((micros / 1_000_000).ToString(CultureInfo.InvariantCulture)),
            Reply.Bulk((micros % 1_000_000).ToString(CultureInfo.InvariantCulture)));
    }

    private static bool HasOption(byte[][] args, string option) =>
        args.Skip(2).Any(a => Encoding.ASCII.GetString(a).Equals(option, StringComparison.OrdinalIgnoreCase));

    // The subcommands that read the keyspace wait for an apply without blocking a thread.
    private async ValueTask<Reply> DebugAsync(byte[][] args, CancellationToken token)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        if (!raft.IsStarted)
            return Reply.Error(CommandExecutor.NoLeader);
        switch (sub)
        {
            case "DIGEST" when args.Length == 2:
                return Reply.Simple(Convert.ToHexStringLower(await raft.StateMachine.ReadAsync(static s => s.Digest(), token).ConfigureAwait(false)));
            case "DIGEST-VALUE":
                var keys = args.Skip(2).ToArray();
                return Reply.Array(await raft.StateMachine.ReadAsync(s => keys
                    .Select(k => (Reply)Reply.Simple(Convert.ToHexStringLower(s.DigestValue(k) ?? new byte[20])))
                    .ToArray(), token).ConfigureAwait(false));
            case "PROTOCOL" when args.Length == 3:
                return DebugProtocol.For(Encoding.ASCII.GetString(args[2]));
            case "OBJECT" when args.Length == 3:
                var key = args[2];
                var line = await raft.StateMachine.ReadAsync(s => s.DebugObject(key), token).ConfigureAwait(false);
                return line is null ? Reply.Error(ErrorMessages.NoSuchKey) : Reply.Simple(line);
            case "SET-ACTIVE-EXPIRE" when args.Length == 3:
                // atoi, as Redis: anything but a non-zero number turns it off.
                sweeper.Enabled = int.TryParse(Encoding.ASCII.GetString(args[2]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var on) && on != 0;
                return Reply.Ok;
            case "PAUSE-CRON" when args.Length == 3:
                // Redis pauses its serverCron; here the cron-like work a test can observe: the client-tracking table's
                // periodic eviction (active expiry has DEBUG SET-ACTIVE-EXPIRE).
                tracking.PeriodicEvictionPaused = int.TryParse(Encoding.ASCII.GetString(args[2]), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pause) && pause != 0;
                return Reply.Ok;
            case "QUICKLIST-PACKED-THRESHOLD" when args.Length == 3:
                // Lists here are not quicklists of listpacks: the threshold is checked as Redis checks it and has no effect.
                return RaftKV.StateMachine.Configuration.ConfigValues.TryParseMemory(Encoding.ASCII.GetString(args[2]), out var threshold)
                       && threshold <= (4L << 30) - (1 << 20)
                    ? Reply.Ok
                    : Reply.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
            case "LISTPACK" when args.Length == 3:
                var encoding = await raft.StateMachine.ReadAsync(s => s.Read(CommandId.Object, [Encoding.ASCII.GetBytes("ENCODING"), args[2]], s.Now), token).ConfigureAwait(false);
                if (encoding is not BulkReply)
                    return Reply.Error(ErrorMessages.NoSuchKey);
                return encoding is BulkReply { Value: var e } && e.AsSpan().SequenceEqual("listpack"u8)
                    ? Reply.Simple("Listpack structure printed on stdout")
                    : Reply.Error("ERR Not a listpack encoded object.");
            case "RELOAD" when HasOption(args, "NOFLUSH") && !HasOption(args, "MERGE")
                               && await raft.StateMachine.ReadAsync(static s => s.FunctionLibraryCount, token).ConfigureAwait(false) > 0:
                // Redis reloads its RDB without emptying the function libraries first: every library collides.
                return Reply.Error("ERR Error trying to load the RDB dump");
            case "RELOAD" or "LOADAOF":
                // The applied state is already durable (the Raft log and snapshots) and reloading it gives the same data,
                // so there is nothing to do; Redis's re-encodings on load are not imitated.
                return Reply.Ok;
            case "CHANGE-REPL-ID" when args.Length == 2:
                return Reply.Ok;
            case "HELP":
                return Reply.Array(Reply.Simple("DEBUG <subcommand> [<arg> ...]. Subcommands are:"),
                    Reply.Simple("DIGEST"), Reply.Simple("DIGEST-VALUE <key> [<key> ...]"), Reply.Simple("OBJECT <key>"),
                    Reply.Simple("SLEEP <seconds>"), Reply.Simple("SET-ACTIVE-EXPIRE <0|1>"), Reply.Simple("PAUSE-CRON <0|1>"), Reply.Simple("SET-DISABLE-DENY-SCRIPTS <0|1>"),
                    Reply.Simple("QUICKLIST-PACKED-THRESHOLD <size>"), Reply.Simple("LISTPACK <key>"),
                    Reply.Simple("RELOAD"), Reply.Simple("LOADAOF"), Reply.Simple("CHANGE-REPL-ID"));
            default:
                return Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), "DEBUG"));
        }
    }
}
