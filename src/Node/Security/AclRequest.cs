using RaftKV.Node.Server;
using RaftKV.Protocol.Commands;

namespace RaftKV.Node.Security;

/// <summary>What of a request ACL rules look at: its keys (and what it does to them) and its channels.</summary>
internal static class AclRequest
{
    /// <summary>Argument positions of the keys: the table's positions, numkeys-based ones, XREAD's after STREAMS.</summary>
    public static IReadOnlyList<int> Keys(CommandSpec? spec, byte[][] request)
    {
        if (spec is null)
            return [];
        if (spec.Id is CommandId.Xread or CommandId.Xreadgroup)
        {
            for (var i = 1; i < request.Length; i++)
            {
                if (System.Text.Ascii.EqualsIgnoreCase(request[i], "STREAMS"u8))
                {
                    var count = (request.Length - i - 1) / 2;
                    return Enumerable.Range(i + 1, count).ToList();
                }
            }

            return [];
        }

        return CommandCommand.KeyPositions(spec, request);
    }

    /// <summary>
    /// What the command does to its keys (the union of Redis's key specs); SET without GET only writes, as Redis's
    /// variable flags for SET say.
    /// </summary>
    public static AclKeyAccess Access(AclCommandInfo command, byte[][] request)
    {
        if (command.FullName == "set" && !request.Skip(3).Any(static a => System.Text.Ascii.EqualsIgnoreCase(a, "GET"u8)))
            return AclKeyAccess.Write;
        return command.KeyAccess;
    }

    /// <summary>Argument positions of channels: PUBLISH's channel, SUBSCRIBE's channels, PSUBSCRIBE's patterns (literal).</summary>
    public static IReadOnlyList<(int Position, bool IsPattern)> Channels(AclCommandInfo command, byte[][] request) => command.FullName switch
    {
        "publish" when request.Length > 1 => [(1, false)],
        "subscribe" => Enumerable.Range(1, request.Length - 1).Select(static i => (i, false)).ToList(),
        "psubscribe" => Enumerable.Range(1, request.Length - 1).Select(static i => (i, true)).ToList(),
        _ => [],
    };
}
