using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Functions;

/// <summary>FUNCTION LIST's and STATS's replies in Redis 7.0's shapes: maps (flat arrays under RESP2), flags as a set.</summary>
internal static class FunctionReplies
{
    /// <summary>The libraries whose name matches <paramref name="pattern"/> (all when null), in ordinal name order.</summary>
    public static Reply List(FunctionSet libraries, byte[]? pattern, bool withCode)
    {
        var items = new List<Reply>();
        foreach (var library in libraries.Libraries)
        {
            // Redis matches the pattern case-insensitively (stringmatchlen's nocase).
            if (pattern is not null && !GlobPattern.IsMatch(Lower(pattern), System.Text.Encoding.ASCII.GetBytes(library.Name.ToLowerInvariant())))
            {
                continue;
            }

            var fields = new List<KeyValuePair<Reply, Reply>>
            {
                Pair("library_name", Reply.Bulk(library.Name)),
                Pair("engine", Reply.Bulk(FunctionLibrary.EngineName)),
                Pair("functions", Reply.Array(library.Functions.Select(Function).ToArray())),
            };
            if (withCode)
            {
                fields.Add(Pair("library_code", Reply.Bulk(library.Code)));
            }

            items.Add(new MapReply(fields));
        }

        return Reply.Array([.. items]);
    }

    /// <summary>No script is ever seen running (functions run within one apply); the counts of the one engine.</summary>
    public static Reply Stats(FunctionSet libraries) => new MapReply(
    [
        Pair("running_script", Reply.Null),
        Pair("engines", new MapReply(
        [
            Pair("LUA", new MapReply(
            [
                Pair("libraries_count", Reply.Integer(libraries.LibraryCount)),
                Pair("functions_count", Reply.Integer(libraries.FunctionCount)),
            ])),
        ])),
    ]);

    private static Reply Function(FunctionInfo function) => new MapReply(
    [
        Pair("name", Reply.Bulk(function.Name)),
        Pair("description", Reply.Bulk(function.Description)),
        Pair("flags", new SetReply(FunctionFlagNames.All
            .Where(f => (function.Flags & f.Flag) != 0)
            .Select(static f => Reply.Simple(f.Name))
            .ToArray())),
    ]);

    private static byte[] Lower(byte[] text)
    {
        var lower = (byte[])text.Clone();
        System.Text.Ascii.ToLowerInPlace(lower, out _);
        return lower;
    }

    private static KeyValuePair<Reply, Reply> Pair(string key, Reply value) => new(Reply.Bulk(key), value);
}
