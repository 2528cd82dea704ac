using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// What of a request ACL rules look at: its keys (and what it does to them) and its channels. One copy serves the node's
/// check before the log and the scripts' check of each redis.call at apply.
/// </summary>
public static class AclRequest
{
    /// <summary>
    /// Argument positions of the keys: the table's positions, numkeys-based ones, XREAD's after STREAMS (XREADGROUP's
    /// after its group and consumer: a group named STREAMS is not the keyword, as Redis's key spec starts there).
    /// </summary>
    public static IReadOnlyList<int> Keys(CommandSpec? spec, byte[][] request)
    {
        if (spec is null)
            return [];
        if (spec.Id is CommandId.Xread or CommandId.Xreadgroup)
        {
            for (var i = spec.Id == CommandId.Xreadgroup ? 4 : 1; i < request.Length; i++)
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
    /// <paramref name="user"/>'s check of <paramref name="request"/>: its keys (prefixes among them), channels and access
    /// as this class finds them. The one place a request meets the user's rules (sessions, EXEC, ACL DRYRUN, scripts).
    /// </summary>
    public static AclCheck Check(AclUser user, AclCommandInfo command, CommandSpec? spec, byte[][] request)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(command);
        var (keys, prefixes) = KeysAndPrefixes(spec, request);
        return user.Check(command, request, keys, prefixes, Channels(command, request), Access(command, request));
    }

    // RAFTKV.TXN's are found in one parse of its operations.
    private static (IReadOnlyList<int> Keys, IReadOnlyList<int> Prefixes) KeysAndPrefixes(CommandSpec? spec, byte[][] request) =>
        spec?.Id == CommandId.RaftkvTxn ? Commands.Kv.TxnArguments.Positions(request) : (Keys(spec, request), Prefixes(spec, request));

    // Of the request's key positions, those holding a prefix that stands for every key starting with it: RAFTKV.KV.RANGE's
    // and RAFTKV.KV.DELETE PREFIX's (and a gRPC watch of a prefix, checked as a RANGE); RAFTKV.TXN's come with its keys.
    private static IReadOnlyList<int> Prefixes(CommandSpec? spec, byte[][] request) => spec?.Id switch
    {
        CommandId.RaftkvKvRange when request.Length > 1 => [1],
        CommandId.RaftkvKvDelete when request.Length > 3 && System.Text.Ascii.EqualsIgnoreCase(request[1], "PREFIX"u8) =>
            Enumerable.Range(3, request.Length - 3).ToList(),
        _ => [],
    };

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
        if (spec.Id is CommandId.Georadius or CommandId.Georadiusbymember)
            return GeoradiusKeyPositions(command, spec.Id == CommandId.Georadius ? 6 : 5);
        // MEMORY USAGE reads its key (a container command of the table with no key of its own, as MEMORY STATS).
        if (spec.Id == CommandId.Memory)
            return command.Length > 2 && System.Text.Ascii.EqualsIgnoreCase(command[1], "USAGE"u8) ? [2] : positions;
        if (spec.Id == CommandId.RaftkvTxn)
            return Commands.Kv.TxnArguments.Positions(command).Keys;
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
    /// SORT's and SORT_RO's refusal of a BY pattern (one holding <c>*</c>) or a GET option to a user without read access
    /// to every key, in Redis's words, for the first such option before anything SORT would call a syntax error; null
    /// when none is refused. The keys these options name are known only when SORT runs, so Redis asks for all keys.
    /// </summary>
    public static string? SortPatternRefusal(AclUser user, AclCommandInfo command, CommandSpec spec, byte[][] request)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(request);
        if (spec.Id is not (CommandId.Sort or CommandId.SortRo) || user.IsUnrestricted)
            return null;
        bool? full = null;
        for (var i = 2; i < request.Length; i++)
        {
            var left = request.Length - i - 1;
            var option = request[i];
            if (System.Text.Ascii.EqualsIgnoreCase(option, "ASC"u8) || System.Text.Ascii.EqualsIgnoreCase(option, "DESC"u8)
                || System.Text.Ascii.EqualsIgnoreCase(option, "ALPHA"u8))
                continue;
            if (System.Text.Ascii.EqualsIgnoreCase(option, "LIMIT"u8) && left >= 2)
            {
                i += 2;
            }
            else if (spec.Id == CommandId.Sort && System.Text.Ascii.EqualsIgnoreCase(option, "STORE"u8) && left >= 1)
            {
                i++;
            }
            else if ((System.Text.Ascii.EqualsIgnoreCase(option, "BY"u8) || System.Text.Ascii.EqualsIgnoreCase(option, "GET"u8)) && left >= 1)
            {
                var by = option[0] is (byte)'B' or (byte)'b';
                i++;
                if (by && !request[i].Contains((byte)'*'))
                    continue;
                full ??= user.HasUnrestrictedKeyAccess(command, request, Keys(spec, request), [], Channels(command, request), Access(command, request),
                    AclKeyAccess.Read);
                if (full == false)
                    return $"ERR {(by ? "BY" : "GET")} option of SORT denied due to insufficient ACL permissions.";
            }
            else
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// GEORADIUS's and GEORADIUSBYMEMBER's keys: the source, and the argument after each STORE and STOREDIST from the
    /// options on (Redis's key specs take the first of each; the command stores into the last, so every one is checked).
    /// </summary>
    private static List<int> GeoradiusKeyPositions(byte[][] command, int options)
    {
        List<int> positions = [1];
        for (var i = options; i + 1 < command.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(command[i], "STORE"u8) || System.Text.Ascii.EqualsIgnoreCase(command[i], "STOREDIST"u8))
                positions.Add(++i);
        }

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
