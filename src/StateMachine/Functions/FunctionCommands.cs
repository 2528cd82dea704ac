using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Functions;

/// <summary>
/// FUNCTION's subcommands over a <see cref="FunctionStore"/>, with Redis 7.0's replies and errors (functions.c).
/// LOAD, DELETE, FLUSH and RESTORE change replicated state: the node proposes them as FUNCTION log entries after
/// <see cref="Validate"/>, and every replica applies them (<see cref="Apply"/>). LIST, DUMP and STATS read
/// (<see cref="Read"/>). Arguments start at the subcommand (the command name removed).
/// </summary>
internal static class FunctionCommands
{
    /// <summary>True for the subcommands that change the libraries (LOAD, DELETE, FLUSH, RESTORE).</summary>
    public static bool IsWrite(byte[][] args) =>
        args.Length > 0 && (Is(args[0], "LOAD") || Is(args[0], "DELETE") || Is(args[0], "FLUSH") || Is(args[0], "RESTORE"));

    /// <summary>The option checks Redis makes before it looks at any library: the error, or null.</summary>
    public static Reply? Validate(byte[][] args)
    {
        if (Is(args[0], "LOAD"))
        {
            return TryParseLoad(args, out _, out var error) is null ? Reply.Error("ERR " + error) : null;
        }

        if (Is(args[0], "FLUSH"))
        {
            if (args.Length > 2)
                return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[0]), "FUNCTION"));
            if (args.Length == 2 && !Is(args[1], "SYNC") && !Is(args[1], "ASYNC"))
                return Reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        }

        if (Is(args[0], "RESTORE"))
        {
            if (args.Length > 3)
                return Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[0]), "FUNCTION"));
            if (args.Length == 3 && !Is(args[2], "APPEND") && !Is(args[2], "REPLACE") && !Is(args[2], "FLUSH"))
                return Reply.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
        }

        if (Is(args[0], "LIST"))
        {
            return TryParseList(args, out _, out _);
        }

        return null;
    }

    /// <summary>Applies LOAD, DELETE, FLUSH or RESTORE (an entry), under the store's gate.</summary>
    public static Reply Apply(FunctionStore store, byte[][] args)
    {
        if (args.Length == 0 || !IsWrite(args))
            return Reply.Error("ERR FUNCTION entry without a write subcommand");
        if (Validate(args) is { } invalid)
            return invalid;
        lock (store.Gate)
        {
            if (Is(args[0], "LOAD"))
            {
                var code = TryParseLoad(args, out var replace, out _)!;
                var name = store.Create(store.Current, code, replace, out var error);
                return name is null ? Reply.Error("ERR " + error) : Reply.Bulk(name);
            }

            if (Is(args[0], "DELETE"))
            {
                return args.Length == 2 && store.Delete(Encoding.UTF8.GetString(args[1])) ? Reply.Ok : Reply.Error("ERR Library not found");
            }

            if (Is(args[0], "FLUSH"))
            {
                store.Flush();
                return Reply.Ok;
            }

            return Restore(store, args[1], args.Length == 3 ? Encoding.ASCII.GetString(args[2]).ToUpperInvariant() : "APPEND");
        }
    }

    /// <summary>LIST, DUMP or STATS from the current libraries.</summary>
    public static Reply Read(FunctionStore store, byte[][] args)
    {
        if (args.Length == 0)
            return Reply.Error(ErrorMessages.WrongArity("function"));
        lock (store.Gate)
        {
            if (Is(args[0], "LIST"))
            {
                return TryParseList(args, out var pattern, out var withCode) ?? FunctionReplies.List(store.Current, pattern, withCode);
            }

            if (Is(args[0], "DUMP"))
                return Reply.Bulk(FunctionDumpPayload.Create(store.Current));
            if (Is(args[0], "STATS"))
                return FunctionReplies.Stats(store.Current);
            return Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[0]), "FUNCTION"));
        }
    }

    private static Reply Restore(FunctionStore store, byte[] payload, string policy)
    {
        var codes = FunctionDumpPayload.TryRead(payload, out var error);
        if (codes is null)
            return Reply.Error("ERR " + error);
        var restored = new FunctionSet();
        foreach (var code in codes)
        {
            if (store.Create(restored, code, replace: false, out error) is null)
            {
                store.Discard(restored);
                return Reply.Error("ERR " + error);
            }
        }

        if (policy == "FLUSH")
        {
            store.Replace(restored);
            return Reply.Ok;
        }

        error = store.Join(restored, replace: policy == "REPLACE");
        if (error is null)
            return Reply.Ok;
        store.Discard(restored);
        return Reply.Error("ERR " + error);
    }

    /// <summary>LOAD [REPLACE ...] code: the code, or null and the error.</summary>
    private static byte[]? TryParseLoad(byte[][] args, out bool replace, out string? error)
    {
        replace = false;
        error = null;
        var at = 1;
        while (at < args.Length - 1)
        {
            if (!Is(args[at], "REPLACE"))
            {
                error = "Unknown option given: " + CText(args[at]);
                return null;
            }

            replace = true;
            at++;
        }

        if (at >= args.Length)
        {
            error = "Function code is missing";
            return null;
        }

        return args[at];
    }

    /// <summary>LIST [LIBRARYNAME pattern] [WITHCODE], each at most once: the error, or null.</summary>
    private static Reply? TryParseList(byte[][] args, out byte[]? pattern, out bool withCode)
    {
        pattern = null;
        withCode = false;
        for (var i = 1; i < args.Length; i++)
        {
            if (!withCode && Is(args[i], "WITHCODE"))
            {
                withCode = true;
            }
            else if (pattern is null && Is(args[i], "LIBRARYNAME"))
            {
                if (i >= args.Length - 1)
                    return Reply.Error("ERR library name argument was not given");
                pattern = args[++i];
            }
            else
            {
                return Reply.Error("ERR Unknown argument " + CText(args[i]));
            }
        }

        return null;
    }

    private static bool Is(byte[] arg, string word) => Encoding.ASCII.GetString(arg).Equals(word, StringComparison.OrdinalIgnoreCase);

    // Redis formats arguments with %s: the text up to a NUL byte.
    private static string CText(byte[] arg)
    {
        var nul = Array.IndexOf(arg, (byte)0);
        return Encoding.UTF8.GetString(arg, 0, nul < 0 ? arg.Length : nul);
    }
}
