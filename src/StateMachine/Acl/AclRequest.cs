using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// What of a request ACL rules look at: its keys (and what it does to them) and its channels. One copy serves the node's
/// check before the log and the scripts' check of each redis.call at apply.
/// </summary>
public static class AclRequest
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

        return KeyPositions(spec, request);
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

    /// <summary>
    /// Argument positions of channels: PUBLISH's and SPUBLISH's channel, SUBSCRIBE's and SSUBSCRIBE's channels,
    /// PSUBSCRIBE's patterns (literal).
    /// </summary>
    public static IReadOnlyList<(int Position, bool IsPattern)> Channels(AclCommandInfo command, byte[][] request) => command.FullName switch
    {
        "publish" or "spublish" when request.Length > 1 => [(1, false)],
        "subscribe" or "ssubscribe" => Enumerable.Range(1, request.Length - 1).Select(static i => (i, false)).ToList(),
        "psubscribe" => Enumerable.Range(1, request.Length - 1).Select(static i => (i, true)).ToList(),
        _ => [],
    };

    /// <summary>The argument positions of a request's keys (also what ACL key permissions are checked on).</summary>
    public static List<int> KeyPositions(CommandSpec spec, byte[][] command)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(command);
        var positions = new List<int>();
        var (numkeysAt, destination) = spec.Id switch
        {
            CommandId.Zunion or CommandId.Zinter or CommandId.Zdiff or CommandId.Sintercard or CommandId.Zintercard
                or CommandId.Lmpop or CommandId.Zmpop => (1, false),
            CommandId.Blmpop or CommandId.Bzmpop or CommandId.Fcall or CommandId.FcallRo or CommandId.Eval or CommandId.Evalsha
                or CommandId.EvalRo or CommandId.EvalshaRo => (2, false),
            CommandId.Zunionstore or CommandId.Zinterstore or CommandId.Zdiffstore => (2, true),
            _ => (0, false),
        };
        if (spec.Id == CommandId.Sort)
            return SortKeyPositions(command);
        if (spec.Id == CommandId.RaftkvTxn)
            return Commands.Kv.TxnArguments.KeyPositions(command);
        if (numkeysAt == 0)
        {
            if (spec.FirstKey == 0)
                return positions;
            var last = spec.LastKey < 0 ? command.Length + spec.LastKey : spec.LastKey;
            for (var i = spec.FirstKey; i <= last && i < command.Length; i += Math.Max(1, spec.KeyStep))
                positions.Add(i);
            return positions;
        }

        if (destination)
            positions.Add(1);
        if (!RaftKV.Protocol.Resp.RedisNumber.TryParseLong(command[numkeysAt], out var count) || count < 0
            || count > command.Length - numkeysAt - 1)
            return positions;
        for (var i = 0; i < count; i++)
            positions.Add(numkeysAt + 1 + i);
        return positions;
    }

    /// <summary>
    /// SORT's keys as Redis's sortGetKeys finds them: the sorted key, and the argument after the last STORE, skipping
    /// the arguments of LIMIT (two), GET and BY (one each) so that a pattern spelled "store" is not taken for the option.
    /// </summary>
    private static List<int> SortKeyPositions(byte[][] command)
    {
        List<int> positions = [1];
        var store = 0;
        for (var i = 2; i < command.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(command[i], "LIMIT"u8))
                i += 2;
            else if (System.Text.Ascii.EqualsIgnoreCase(command[i], "GET"u8) || System.Text.Ascii.EqualsIgnoreCase(command[i], "BY"u8))
                i++;
            else if (System.Text.Ascii.EqualsIgnoreCase(command[i], "STORE"u8) && i + 1 < command.Length)
                store = i + 1;
        }

        if (store != 0)
            positions.Add(store);
        return positions;
    }
}
