using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Rdb;

namespace RaftKV.Node.Server;

/// <summary>
/// FUNCTION, FCALL and FCALL_RO while RaftKV has no scripting engine, so no library can exist: every subcommand
/// answers as Redis 7.0 answers with no libraries loaded (functions.c). FLUSH answers OK on this node: with no
/// function state there is nothing to replicate yet; once functions exist it becomes a log entry like the rest of
/// their state. LOAD and RESTORE of a payload with libraries answer Redis's error for an engine that is not
/// registered; FCALL and FCALL_RO Redis's error for a missing function.
/// </summary>
internal static class FunctionCommand
{
    private static readonly Dictionary<string, int> Arities = new(StringComparer.Ordinal)
    {
        ["DELETE"] = 3, ["DUMP"] = 2, ["FLUSH"] = -2, ["HELP"] = 2, ["KILL"] = 2,
        ["LIST"] = -2, ["LOAD"] = -3, ["RESTORE"] = -3, ["STATS"] = 2,
    };

    /// <summary>The RDB version Redis 7.0 writes in a dump payload's footer.</summary>
    private const ushort RdbVersion = 10;

    public static Reply Execute(byte[][] args)
    {
        if (Subcommands.Check("FUNCTION", args, Arities, out var sub) is { } invalid)
            return invalid;
        return sub switch
        {
            "DELETE" => Reply.Error("ERR Library not found"),
            "DUMP" => Reply.Bulk(EmptyDump()),
            "FLUSH" => Flush(args),
            "KILL" => Reply.Error("NOTBUSY No scripts in execution right now."),
            "LIST" => List(args),
            "LOAD" => Load(args),
            "RESTORE" => Restore(args),
            "STATS" => Stats(),
            _ => Subcommands.Help("FUNCTION",
                "LOAD [REPLACE] <FUNCTION CODE>",
                "    Create a new library with the given library name and code.",
                "DELETE <LIBRARY NAME>",
                "    Delete the given library.",
                "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
                "    Return general information on all the libraries:",
                "    * Library name",
                "    * The engine used to run the Library",
                "    * Library description",
                "    * Functions list",
                "    * Library code (if WITHCODE is given)",
                "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
                "STATS",
                "    Return information about the current function running:",
                "    * Function name",
                "    * Command used to run the function",
                "    * Duration in MS that the function is running",
                "    If no function is running, return nil",
                "    In addition, returns a list of available engines.",
                "KILL",
                "    Kill the current running function.",
                "FLUSH [ASYNC|SYNC]",
                "    Delete all the libraries.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the libraries.",
                "    * SYNC: Synchronously flush the libraries.",
                "DUMP",
                "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
                "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
                "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
                "    control how to handle existing libraries (default APPEND):",
                "    * FLUSH: delete all existing libraries.",
                "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
                "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
                "      libraries with the new libraries (notice that even on this option there is a chance of failure",
                "      in case of functions name collision with another library)."),
        };
    }

    /// <summary>FCALL and FCALL_RO: no function exists.</summary>
    public static Reply Call() => Reply.Error("ERR Function not found");

    private static Reply Flush(byte[][] args)
    {
        if (args.Length > 3)
            return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[1]), "FUNCTION"));
        if (args.Length == 3 && !Is(args[2], "SYNC") && !Is(args[2], "ASYNC"))
            return Reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return Reply.Ok;
    }

    private static Reply List(byte[][] args)
    {
        bool withCode = false, named = false;
        for (var i = 2; i < args.Length; i++)
        {
            if (!withCode && Is(args[i], "WITHCODE"))
            {
                withCode = true;
            }
            else if (!named && Is(args[i], "LIBRARYNAME"))
            {
                if (i >= args.Length - 1)
                    return Reply.Error("ERR library name argument was not given");
                named = true;
                i++;
            }
            else
            {
                return Reply.Error("ERR Unknown argument " + Encoding.UTF8.GetString(args[i]));
            }
        }

        return Reply.EmptyArray;
    }

    /// <summary>LOAD [REPLACE] code: the code's "#!engine name=..." line names an engine this node does not have.</summary>
    private static Reply Load(byte[][] args)
    {
        var at = 2;
        if (args.Length > 3 && Is(args[2], "REPLACE"))
            at = 3;
        if (args.Length != at + 1)
            return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[1]), "FUNCTION"));
        var code = Encoding.UTF8.GetString(args[at]);
        if (!code.StartsWith("#!", StringComparison.Ordinal))
            return Reply.Error("ERR Missing library metadata");
        var line = code.AsSpan(2);
        var end = line.IndexOfAny('\n', ' ');
        var engine = end < 0 ? line.ToString() : line[..end].ToString();
        return Reply.Error($"ERR Engine '{engine}' not found");
    }

    private static Reply Restore(byte[][] args)
    {
        if (args.Length > 4)
            return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[1]), "FUNCTION"));
        if (args.Length == 4 && !Is(args[3], "APPEND") && !Is(args[3], "REPLACE") && !Is(args[3], "FLUSH"))
            return Reply.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
        var payload = args[2];
        if (payload.Length < 10 || (payload[^10] | (payload[^9] << 8)) > RdbVersion
            || System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(payload.Length - 8)) != Crc64.Compute(payload.AsSpan(0, payload.Length - 8)))
            return Reply.Error("ERR DUMP payload version or checksum are wrong");
        if (payload.Length == 10)
            return Reply.Ok;
        // Redis's RDB_OPCODE_FUNCTION2 and RDB_OPCODE_FUNCTION mark each library.
        return payload[0] is 245 or 246 ? Reply.Error("ERR Engine 'lua' not found") : Reply.Error("ERR given type is not a function");
    }

    private static Reply Stats() => new MapReply(
    [
        new(Reply.Bulk("running_script"), Reply.Null),
        new(Reply.Bulk("engines"), new MapReply(
        [
            new(Reply.Bulk("LUA"), new MapReply(
            [
                new(Reply.Bulk("libraries_count"), Reply.Integer(0)),
                new(Reply.Bulk("functions_count"), Reply.Integer(0)),
            ])),
        ])),
    ]);

    /// <summary>Redis's dump of no libraries: the RDB version and the CRC-64 of what precedes it, little-endian.</summary>
    private static byte[] EmptyDump()
    {
        var payload = new byte[10];
        payload[0] = (byte)RdbVersion;
        payload[1] = RdbVersion >> 8;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(2), Crc64.Compute(payload.AsSpan(0, 2)));
        return payload;
    }

    private static bool Is(byte[] arg, string word) => Encoding.ASCII.GetString(arg).Equals(word, StringComparison.OrdinalIgnoreCase);
}
