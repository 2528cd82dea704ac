using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Server;

/// <summary>
/// SLOWLOG: this node's record of its own clients' commands that took longer than slowlog-log-slower-than
/// microseconds (replicated configuration; negative: none), the newest first, at most slowlog-max-len, as Redis keeps
/// one per server. Redis times a command's execution, not its I/O: a write this node leads is timed by its apply and a
/// read by its run (<see cref="Execution.ExecutionTiming"/>; a write's commit, a read's wait for the state, are I/O),
/// any other command from its start (after any CLIENT PAUSE) to its reply, less the time it waited blocked (BLPOP ...). EXEC is not recorded; the commands it ran are, the
/// keyspace ones with an even share of the transaction's apply. A command a follower relays is recorded on that
/// follower (with the time until the leader answered), not on the leader.
/// Entries are Redis's six fields: id, unix time, microseconds, the arguments (at most 32, each cut at 128 bytes, secrets
/// "(redacted)"), the client's address and its name.
/// </summary>
internal sealed class SlowLog
{
    private const int MaxArguments = 32;
    private const int MaxArgumentBytes = 128;
    private static readonly byte[] Redacted = "(redacted)"u8.ToArray();

    private readonly Lock _lock = new();
    private readonly LinkedList<Reply> _entries = new();
    private long _nextId;

    /// <summary>Records the command if it took longer than <paramref name="slowerThanMicros"/> (negative: never).</summary>
    public void Record(CommandSpec spec, byte[][] args, long micros, string address, string name, long slowerThanMicros, long maxLen)
    {
        if (slowerThanMicros < 0 || micros < slowerThanMicros || spec.Id == CommandId.Exec)
            return;
        var arguments = Arguments(spec, args);
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        lock (_lock)
        {
            var entry = new ArrayReply([
                Reply.Integer(_nextId++), Reply.Integer(time), Reply.Integer(micros), new ArrayReply(arguments), Reply.Bulk(Encoding.UTF8.GetBytes(address)),
                Reply.Bulk(Encoding.UTF8.GetBytes(name)),
            ]);
            _entries.AddFirst(entry);
            Trim(maxLen);
        }
    }

    /// <summary>SLOWLOG GET/LEN/RESET/HELP. <paramref name="maxLen"/> bounds the log first, as Redis trims it on each record.</summary>
    public Reply Execute(byte[][] args, long maxLen)
    {
        if (Subcommands.Check("SLOWLOG", args, out var sub) is { } invalid)
            return invalid;
        lock (_lock)
        {
            Trim(maxLen);
            switch (sub)
            {
                case "LEN":
                    return Reply.Integer(_entries.Count);
                case "RESET":
                    _entries.Clear();
                    return Reply.Ok;
                case "GET":
                    // Redis's getRangeLongFromObjectOrReply: any count that is not an integer of at least -1 gets the same words.
                    var count = 10L;
                    if (args.Length > 3)
                        return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[1]), "SLOWLOG"));
                    if (args.Length == 3 && (!RedisNumber.TryParseLong(args[2], out count) || count < -1))
                        return Reply.Error("ERR count should be greater than or equal to -1");

                    return new ArrayReply(_entries.Take(count == -1 ? _entries.Count : (int)Math.Min(count, _entries.Count)).ToList());
                default:
                    return Subcommands.Help("SLOWLOG",
                        "GET [<count>]",
                        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                        "    Entries are made of:",
                        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                        "    client name",
                        "LEN",
                        "    Return the length of the slowlog.",
                        "RESET",
                        "    Reset the slowlog.");
            }
        }
    }


    private void Trim(long maxLen)
    {
        while (_entries.Count > Math.Max(0, maxLen))
            _entries.RemoveLast();
    }

    // Redis's slowlogCreateEntry: at most 32 arguments (the last then says how many more there were), each at most 128
    // bytes (then how many more); secrets as Redis redacts them for its logs.
    private static List<Reply> Arguments(CommandSpec spec, byte[][] args)
    {
        var count = Math.Min(args.Length, MaxArguments);
        var redacted = RedactedFrom(spec, args);
        var arguments = new List<Reply>(count);
        for (var i = 0; i < count; i++)
        {
            if (count < args.Length && i == count - 1)
            {
                arguments.Add(Reply.Bulk(Encoding.ASCII.GetBytes($"... ({args.Length - count + 1} more arguments)")));
                break;
            }

            var arg = redacted(i) ? Redacted : args[i];
            arguments.Add(Reply.Bulk(arg.Length <= MaxArgumentBytes
                ? arg
                : [.. arg.AsSpan(0, MaxArgumentBytes), .. Encoding.ASCII.GetBytes($"... ({arg.Length - MaxArgumentBytes} more bytes)")]));
        }

        return arguments;
    }

    // Which arguments Redis redacts: AUTH's, HELLO's after AUTH, ACL SETUSER's after the subcommand, and CONFIG SET's
    // values of requirepass, masterauth and masteruser.
    private static Func<int, bool> RedactedFrom(CommandSpec spec, byte[][] args)
    {
        switch (spec.Id)
        {
            case CommandId.Auth:
                return static i => i >= 1;
            case CommandId.Hello:
                var hidden = HelloSecrets(args);
                return i => hidden.Contains(i);
            case CommandId.Acl when args.Length > 2 && Ascii.EqualsIgnoreCase(args[1], "SETUSER"u8):
                return static i => i >= 2;
            case CommandId.Config when args.Length > 3 && Ascii.EqualsIgnoreCase(args[1], "SET"u8):
                return i => i >= 3 && i % 2 == 1 && IsSensitiveParameter(args[i - 1]);
            default:
                return static _ => false;
        }
    }

    // HELLO's options as Redis reads them (AUTH user pass, SETNAME name): each AUTH's two arguments; from an option it
    // does not know (Redis answers an error there), every argument after it, so a secret is never kept.
    private static HashSet<int> HelloSecrets(byte[][] args)
    {
        var hidden = new HashSet<int>();
        for (var j = 2; j < args.Length; j++)
        {
            var more = args.Length - 1 - j;
            if (Ascii.EqualsIgnoreCase(args[j], "AUTH"u8) && more >= 2)
            {
                hidden.Add(j + 1);
                hidden.Add(j + 2);
                j += 2;
            }
            else if (Ascii.EqualsIgnoreCase(args[j], "SETNAME"u8) && more >= 1)
            {
                j++;
            }
            else
            {
                for (var rest = j + 1; rest < args.Length; rest++)
                    hidden.Add(rest);
                break;
            }
        }

        return hidden;
    }

    private static bool IsSensitiveParameter(byte[] name) =>
        Ascii.EqualsIgnoreCase(name, "requirepass"u8) || Ascii.EqualsIgnoreCase(name, "masterauth"u8) || Ascii.EqualsIgnoreCase(name, "masteruser"u8);
}
