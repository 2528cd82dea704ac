using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.PubSub;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>Commands answered by the session itself: they never touch the keyspace or the log.</summary>
internal sealed partial class ClientSession
{
    private Reply? ExecuteConnectionCommand(CommandSpec spec, byte[][] args) => spec.Id switch
    {
        CommandId.Ping => Ping(args),
        CommandId.Echo => Reply.Bulk(args[1]),
        CommandId.Hello => Hello(args),
        CommandId.Auth => Auth(args),
        CommandId.Select => Select(args[1]),
        CommandId.Client => Client(args),
        CommandId.Quit => QuitCommand(),
        CommandId.Reset => ResetCommand(),
        CommandId.Readonly or CommandId.Readwrite => Reply.Ok,
        CommandId.Monitor => MonitorCommand(),
        CommandId.Subscribe => Subscribe(args, SubscriptionKind.Channel),
        CommandId.Psubscribe => Subscribe(args, SubscriptionKind.Pattern),
        CommandId.Ssubscribe => Subscribe(args, SubscriptionKind.Shard),
        CommandId.Unsubscribe => Unsubscribe(args, SubscriptionKind.Channel),
        CommandId.Punsubscribe => Unsubscribe(args, SubscriptionKind.Pattern),
        CommandId.Sunsubscribe => Unsubscribe(args, SubscriptionKind.Shard),
        CommandId.Pubsub => PubsubCommand.Execute(_services.Broker, args),
        CommandId.Asking => Reply.Error("ERR This instance has cluster support disabled"),
        CommandId.Lolwut => Lolwut(args),
        CommandId.Move => Move(args),
        CommandId.Swapdb => Swapdb(args),
        _ => Reply.Error(ErrorMessages.UnknownCommand(spec.Name.ToLowerInvariant(), args.Skip(1).ToList())),
    };

    private Reply Ping(byte[][] args)
    {
        if (args.Length > 2)
            return Reply.Error(ErrorMessages.WrongArity("ping"));
        if (Subscriptions.Count > 0 && ProtocolVersion == 2)
            return Reply.Array(Reply.Bulk("pong"), args.Length == 2 ? Reply.Bulk(args[1]) : Reply.EmptyBulk);
        return args.Length == 2 ? Reply.Bulk(args[1]) : Reply.Pong;
    }

    private Reply Hello(byte[][] args)
    {
        var version = ProtocolVersion;
        var i = 1;
        if (args.Length > 1)
        {
            if (!RedisNumber.TryParseLong(args[1], out var requested))
                return Reply.Error("ERR Protocol version is not an integer or out of range");
            if (requested is < 2 or > 3)
                return Reply.Error("NOPROTO unsupported protocol version");
            version = (int)requested;
            i = 2;
        }

        string? name = null;
        for (; i < args.Length; i++)
        {
            var option = Encoding.ASCII.GetString(args[i]).ToUpperInvariant();
            if (option == "AUTH" && i + 2 < args.Length)
            {
                if (_services.Access.Authenticate(Identity, args[i + 1], args[i + 2], AuthLog(args[0])) is ErrorReply wrong)
                    return wrong;
                i += 2;
            }
            else if (option == "SETNAME" && i + 1 < args.Length)
            {
                name = Encoding.UTF8.GetString(args[++i]);
                if (!IsValidClientName(name))
                    return Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            }
            else
            {
                return Reply.Error("ERR Syntax error in HELLO option '" + Encoding.UTF8.GetString(args[i]) + "'");
            }
        }

        if (!Identity.IsAuthenticated && _services.Access.Users.AuthRequired)
            return Reply.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        ProtocolVersion = version;
        if (name is not null)
            Name = name.Length == 0 ? null : name;
        return _services.Server.HelloReply(this);
    }

    /// <summary>AUTH [user] password, as Redis 7.0's: the one-argument form signs in the default user.</summary>
    private Reply Auth(byte[][] args)
    {
        if (args.Length > 3)
            return Reply.Error(ErrorMessages.Syntax);
        if (args.Length == 2 && _services.Access.Users.Default.NoPass)
            return Reply.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        return args.Length == 2
            ? _services.Access.Authenticate(Identity, "default"u8.ToArray(), args[1], AuthLog(args[0]))
            : _services.Access.Authenticate(Identity, args[1], args[2], AuthLog(args[0]));
    }

    // Where this session's refusals go in the ACL LOG; none for a relayed command (the node its client is on logged it).
    // Commands EXEC runs itself (AUTH, CLIENT, ...) run after the transaction ended: still context multi, as in Redis.
    private Security.AclLog.Context? AclLogContext =>
        IsForwarded ? null : _transaction.IsActive || _runningExec ? Security.AclLog.Context.Multi : Security.AclLog.Context.TopLevel;

    private bool _runningExec;

    /// <summary>True while EXEC runs the transaction's commands that are not keyspace commands (WAIT does not wait then).</summary>
    public bool RunningExec => _runningExec;

    // DescribeClient as a delegate made once: a method group makes one per use, and every command passes it.
    private Func<string>? _describeClient;

    private Func<string> DescribeClientOnce => _describeClient ??= DescribeClient;

    private (byte[] Command, Security.AclLog.Context Context, Func<string> ClientInfo)? AuthLog(byte[] command) =>
        AclLogContext is { } context ? (command, context, DescribeClientOnce) : null;

    private static Reply Select(byte[] index)
    {
        if (!RedisNumber.TryParseLong(index, out var db))
            return Reply.Error(ErrorMessages.NotInteger);
        return db == 0 ? Reply.Ok : Reply.Error(ErrorMessages.InvalidDbIndex);
    }

    // LOLWUT as Redis 7.0 answers it by default (its "unstable" form): the version. VERSION 5 and 6, which draw in Redis,
    // answer the same here.
    private static Reply Lolwut(byte[][] args)
    {
        if (args.Length >= 3 && Ascii.EqualsIgnoreCase(args[1], "VERSION"u8) && !RedisNumber.TryParseLong(args[2], out _))
            return Reply.Error(ErrorMessages.NotInteger);
        return new VerbatimReply("txt", System.Text.Encoding.ASCII.GetBytes($"Redis ver. {Server.ServerInfo.RedisVersion}\n"));
    }

    // One database (0): MOVE can only name the one it is in, as Redis answers with databases 1.
    private static Reply Move(byte[][] args)
    {
        if (!RedisNumber.TryParseLong(args[2], out var db) || db is < int.MinValue or > int.MaxValue)
            return Reply.Error(ErrorMessages.NotInteger);
        return db == 0 ? Reply.Error("ERR source and destination objects are the same") : Reply.Error(ErrorMessages.InvalidDbIndex);
    }

    // SWAPDB 0 0 swaps the one database with itself (OK); any other index is out of range.
    private static Reply Swapdb(byte[][] args)
    {
        if (!RedisNumber.TryParseLong(args[1], out var first) || first is < int.MinValue or > int.MaxValue)
            return Reply.Error("ERR invalid first DB index");
        if (!RedisNumber.TryParseLong(args[2], out var second) || second is < int.MinValue or > int.MaxValue)
            return Reply.Error("ERR invalid second DB index");
        return first == 0 && second == 0 ? Reply.Ok : Reply.Error(ErrorMessages.InvalidDbIndex);
    }

    /// <summary>MONITOR: from now on this client receives a line for every command the node runs (<see cref="MonitorFeed"/>).</summary>
    private Reply MonitorCommand()
    {
        _services.Monitors.Add(this);
        return Reply.Ok;
    }

    private Reply QuitCommand()
    {
        Quit();
        return Reply.Ok;
    }

    private Reply ResetCommand()
    {
        // As Redis: RESET discards the transaction and unwatches (a watch held by the leader for a forwarding
        // connection ends when that connection is used again or closes).
        _transaction.End();
        _transaction.Unwatch();
        _replyOff = false;
        _skipReplies = 0;
        _services.Broker.UnsubscribeAll(this);
        _services.Monitors.Remove(this);
        _services.Tracking.Disable(this);
        ProtocolVersion = 2;
        Name = null;
        Identity.SetDefault(_services.Access.Users);
        return Reply.Simple("RESET");
    }

    private Reply? Client(byte[][] args)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        switch (sub)
        {
            case "ID" when args.Length == 2:
                return Reply.Integer(Id);
            case "GETNAME" when args.Length == 2:
                return Name is null ? Reply.Null : Reply.Bulk(Name);
            case "SETNAME" when args.Length == 3:
                var name = Encoding.UTF8.GetString(args[2]);
                if (!IsValidClientName(name))
                    return Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                Name = name.Length == 0 ? null : name;
                return Reply.Ok;
            case "SETINFO" when args.Length == 4:
                var attribute = Encoding.ASCII.GetString(args[2]).ToUpperInvariant();
                var value = Encoding.UTF8.GetString(args[3]);
                if (!IsValidClientName(value))
                    return Reply.Error($"ERR {attribute.ToLowerInvariant()} cannot contain spaces, newlines or special characters.");
                if (attribute == "LIB-NAME")
                    LibraryName = value;
                else if (attribute == "LIB-VER")
                    LibraryVersion = value;
                else
                    return Reply.Error("ERR Unrecognized option '" + Encoding.UTF8.GetString(args[2]) + "'");
                return Reply.Ok;
            case "INFO" when args.Length == 2:
                return new VerbatimReply("txt", Encoding.UTF8.GetBytes(DescribeClient() + "\n"));
            case "LIST":
                var lines = _services.Clients.Snapshot().Select(static s => s.DescribeClient() + "\n");
                return new VerbatimReply("txt", Encoding.UTF8.GetBytes(string.Concat(lines)));
            case "NO-EVICT" or "NO-TOUCH" when args.Length == 3:
                return OnOff(args[2]);
            case "REPLY" when args.Length == 3:
                return ReplyMode(args[2]);
            case "KILL" when args.Length >= 3:
                return KillClients(args);
            case "PAUSE" when args.Length is 3 or 4:
                return PauseClients(args);
            case "UNPAUSE" when args.Length == 2:
                _services.Clients.Pause.Unpause();
                return Reply.Ok;
            case "UNBLOCK" when args.Length is 3 or 4:
                return Unblock(args);
            case "TRACKING" when args.Length >= 3:
                return TrackingCommand(args);
            case "CACHING" when args.Length >= 3:
                return CachingCommand(args[2]);
            case "GETREDIR" when args.Length == 2:
                return Reply.Integer(Tracking.Enabled ? Tracking.Redirect : -1);
            case "TRACKINGINFO" when args.Length == 2:
                return TrackingInfo();
            case "HELP":
                return Reply.Array(
                    Reply.Simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                    Reply.Simple("ID"), Reply.Simple("GETNAME"), Reply.Simple("SETNAME <name>"),
                    Reply.Simple("SETINFO <LIB-NAME|LIB-VER> <value>"), Reply.Simple("INFO"), Reply.Simple("LIST"));
            default:
                // A subcommand given the wrong number of arguments: Redis 7 checks each subcommand's own arity.
                return ClientSubcommands.Contains(sub)
                    ? Reply.Error(ErrorMessages.WrongArity("client|" + sub))
                    : Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), "CLIENT"));
        }
    }

    private static readonly HashSet<string> ClientSubcommands = new(StringComparer.Ordinal)
    {
        "ID", "GETNAME", "SETNAME", "SETINFO", "INFO", "LIST", "NO-EVICT", "NO-TOUCH", "REPLY", "KILL", "PAUSE", "UNPAUSE",
        "UNBLOCK", "TRACKING", "CACHING", "GETREDIR", "TRACKINGINFO",
    };

    private readonly long _createdTicks = Environment.TickCount64;
    private long _lastCommandTicks = Environment.TickCount64;

    /// <summary>The last command this client sent, lowercase, container|subcommand for commands with subcommands.</summary>
    public string LastCommand { get; private set; } = "NULL";

    /// <summary>
    /// Bytes of this client's query buffer: while a command runs, that command and whatever followed it in the same read
    /// (as Redis 7.0 reports it); between reads, the part of a command not yet complete.
    /// </summary>
    public long QueryBufferBytes { get; private set; }

    private bool _isBlocked;
    private long _blockedSince;
    private long _blockedTicks;

    /// <summary>Whether a blocking command of this client waits; the time it does is not a command's time (SLOWLOG).</summary>
    public bool IsBlocked
    {
        get => _isBlocked;
        set
        {
            if (value == _isBlocked)
                return;
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (value)
                _blockedSince = now;
            else
                Interlocked.Add(ref _blockedTicks, now - _blockedSince);
            _isBlocked = value;
        }
    }

    /// <summary>Stopwatch ticks this client's commands have spent blocked, in all.</summary>
    private long BlockedTicks => Interlocked.Read(ref _blockedTicks) + (_isBlocked ? System.Diagnostics.Stopwatch.GetTimestamp() - _blockedSince : 0);

    public BlockedWait? Wait { get; set; }

    /// <summary>Records the command about to run (CLIENT LIST cmd= and idle=) and returns its full name.</summary>
    private string NoteCommand(CommandSpec spec, byte[][] args)
    {
        Volatile.Write(ref _lastCommandTicks, Environment.TickCount64);
        var name = FullCommandName(spec, args);
        LastCommand = name;
        return name;
    }

    /// <summary>The command's name, lowercase, container|subcommand for commands with subcommands.</summary>
    private static string FullCommandName(CommandSpec spec, byte[][] args) => CommandNames.Full(spec, args);

    /// <summary>One CLIENT LIST line: Redis 7.0's fields in its order (catClientInfoString), then 7.2's lib-name and lib-ver.</summary>
    public string DescribeClient()
    {
        var now = Environment.TickCount64;
        var age = (now - _createdTicks) / 1000;
        var idle = (now - Volatile.Read(ref _lastCommandTicks)) / 1000;
        var flags = (Subscriptions.Count > 0 ? "P" : "") + (_transaction.IsActive ? "x" : "") + (IsBlocked || IsPaused ? "b" : "") + TrackingFlags();
        var multi = _transaction.IsActive ? _transaction.Queued.Count : -1;
        return $"id={Id} addr={Address} laddr={LocalAddress} fd=0 name={Name} age={age} idle={idle} flags={(flags.Length == 0 ? "N" : flags)} db=0 " +
               $"sub={Subscriptions.Channels.Count} psub={Subscriptions.Patterns.Count} ssub={Subscriptions.ShardChannels.Count} multi={multi} qbuf={QueryBufferBytes} qbuf-free=0 " +
               $"argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={LastCommand} " +
               $"user={Identity.UserName} redir={(Tracking.Enabled ? Tracking.Redirect : -1)} resp={ProtocolVersion} lib-name={LibraryName} lib-ver={LibraryVersion}";
    }

    private static bool IsValidClientName(string name)
    {
        foreach (var c in name)
        {
            if (c < '!' || c > '~')
                return false;
        }

        return true;
    }

    private Reply? Subscribe(byte[][] args, SubscriptionKind subscription)
    {
        // Redis 7.0 runs EXEC's commands as a client that may not block, and refuses SSUBSCRIBE there (SUBSCRIBE runs).
        if (subscription == SubscriptionKind.Shard && _runningExec)
            return Reply.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        var kind = Reply.Bulk(subscription.Prefix() + "subscribe");
        for (var i = 1; i < args.Length; i++)
        {
            var count = _services.Broker.Subscribe(this, PubSubBroker.Name(args[i]), subscription);
            _batch.Add(new PushReply([kind, Reply.Bulk(args[i]), Reply.Integer(count)]));
        }

        return null;
    }

    private Reply? Unsubscribe(byte[][] args, SubscriptionKind subscription)
    {
        var kind = Reply.Bulk(subscription.Prefix() + "unsubscribe");
        var names = args.Length > 1
            ? args.Skip(1).Select(PubSubBroker.Name).ToList()
            : _services.Broker.List(this, subscription);
        if (names.Count == 0)
        {
            _batch.Add(new PushReply([kind, Reply.Null, Reply.Integer(Subscriptions.CountOf(subscription))]));
            return null;
        }

        foreach (var name in names)
        {
            var count = _services.Broker.Unsubscribe(this, name, subscription);
            _batch.Add(new PushReply([kind, Reply.Bulk(PubSubBroker.Bytes(name)), Reply.Integer(count)]));
        }

        return null;
    }
}
