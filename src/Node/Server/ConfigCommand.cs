using System.Text;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Text;

namespace RaftKV.Node.Server;

/// <summary>
/// CONFIG GET, SET, RESETSTAT, REWRITE and HELP over Redis 7.0's parameters (<see cref="ConfigParameters"/>).
/// <list type="bullet">
/// <item>SET is checked here as Redis checks it (unknown names, parameters that cannot be set, repeats, bad values:
/// Redis's errors), then proposed as one ConfigSet log entry holding the names and normalized values, so
/// every replica applies it, all or nothing, at the same index. A follower relays the command to the leader like any
/// write, and the leader checks and proposes it.</item>
/// <item>GET answers from this node's applied state, without a read barrier, like INFO: after an acknowledged SET the
/// receiving node already reports the new value (the leader applied it; a follower relayed it and may lag the leader's
/// apply by the entries still in flight). This node's own settings (port, bind, dir) come from its options.</item>
/// </list>
/// </summary>
internal sealed class ConfigCommand(RaftHost raft, CommandExecutor executor, IOptions<NodeOptions> options, CommandStats stats)
{
    private readonly NodeOptions _options = options.Value;

    public async ValueTask<Reply> ExecuteAsync(byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        switch (sub)
        {
            case "GET" when args.Length >= 3:
                return await GetAsync(args[2..], token).ConfigureAwait(false);
            case "SET" when args.Length >= 4:
                args = WithoutUnchangedNodeSettings(args);
                if (args.Length == 2)
                    return Reply.Ok;
                if (!RuntimeConfig.TryParse(args[2..], out var changes, out var error))
                    return Reply.Error(error!);
                // Each parameter under the entry it was set by (a name and its alias may both appear, as in Redis),
                // with its normalized value; every replica checks the entry again when it applies it.
                var entry = changes.SelectMany((c, i) => new[] { Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(args[2 + (2 * i)]).ToLowerInvariant()), Encoding.UTF8.GetBytes(c.Value) }).ToArray();
                // requirepass travels (and is kept) as its SHA-256, never in clear; CONFIG GET reports that hash.
                for (var i = 0; i + 1 < entry.Length; i += 2)
                {
                    if (entry[i].AsSpan().SequenceEqual("requirepass"u8) && entry[i + 1].Length > 0)
                        entry[i + 1] = Encoding.ASCII.GetBytes(RaftKV.StateMachine.Acl.AclPasswords.Hash(args[3 + i]));
                }

                return await executor.ProposeAsync(CommandId.ConfigSet, entry, args, caller, token).ConfigureAwait(false);
            case "RESETSTAT" when args.Length == 2:
                stats.Reset();
                return Reply.Ok;
            case "REWRITE" when args.Length == 2:
                return Reply.Error("ERR The server is running without a config file");
            case "HELP" when args.Length == 2:
                return Reply.Array(
                    Reply.Simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                    Reply.Simple("GET <pattern>"),
                    Reply.Simple("    Return parameters matching the glob-like <pattern> and their values."),
                    Reply.Simple("SET <directive> <value>"),
                    Reply.Simple("    Set the configuration <directive> to <value>."),
                    Reply.Simple("RESETSTAT"),
                    Reply.Simple("    Reset statistics reported by the INFO command."),
                    Reply.Simple("REWRITE"),
                    Reply.Simple("    Rewrite the configuration file."),
                    Reply.Simple("HELP"),
                    Reply.Simple("    Prints this help."));
            default:
                return sub is "GET" or "SET" or "RESETSTAT" or "REWRITE" or "HELP"
                    ? Reply.Error(ErrorMessages.WrongArity("config|" + sub.ToLowerInvariant()))
                    : Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), "CONFIG"));
        }
    }

    /// <summary>
    /// Every parameter a pattern matches, under the name that matched (an alias included), once; a pattern without
    /// glob characters is looked up by name, case-insensitively, and reported as typed; hidden parameters only so.
    /// </summary>
    private async ValueTask<Reply> GetAsync(byte[][] patterns, CancellationToken token)
    {
        var matches = new List<(string Name, ConfigParameter Parameter)>();
        var seen = new HashSet<ConfigParameter>();
        foreach (var pattern in patterns)
        {
            var text = Encoding.UTF8.GetString(pattern);
            if (text.IndexOfAny(['[', '*', '?']) < 0)
            {
                if (ConfigParameters.TryFind(text, out var exact) && seen.Add(exact))
                    matches.Add((text, exact));
                continue;
            }

            var lower = Encoding.UTF8.GetBytes(text.ToLowerInvariant());
            foreach (var (name, parameter) in ConfigParameters.Names)
            {
                if (!parameter.Hidden && !matches.Exists(m => m.Name == name) && GlobPattern.IsMatch(lower, Encoding.ASCII.GetBytes(name)))
                    matches.Add((name, parameter));
            }
        }

        var entries = new List<KeyValuePair<Reply, Reply>>(matches.Count);
        if (matches.Count == 0)
            return new MapReply(entries);
        var values = raft.IsStarted
            ? await raft.StateMachine.ReadAsync(store => matches.Select(m => store.Config.Get(m.Parameter)).ToList(), token).ConfigureAwait(false)
            : matches.Select(static m => m.Parameter.Default).ToList();
        for (var i = 0; i < matches.Count; i++)
        {
            var (name, parameter) = matches[i];
            var value = parameter.Scope == ConfigScope.Node ? NodeValue(parameter.Name) : values[i];
            entries.Add(new(Reply.Bulk(name), Reply.Bulk(value)));
        }

        return new MapReply(entries);
    }

    /// <summary>
    /// CONFIG SET's arguments without the pairs that set one of this node's own settings (port, bind, dir) to the value
    /// it already has: as in Redis, setting a parameter to its current value is accepted and changes nothing (Redis's
    /// "CONFIG sanity" sets everything CONFIG GET * reports). Any other value of such a setting is still refused.
    /// </summary>
    private byte[][] WithoutUnchangedNodeSettings(byte[][] args)
    {
        if (args.Length % 2 != 0)
            return args;
        var kept = new List<byte[]>(args.Length) { args[0], args[1] };
        for (var i = 2; i + 1 < args.Length; i += 2)
        {
            if (ConfigParameters.TryFind(Encoding.UTF8.GetString(args[i]), out var parameter) && parameter.Scope == ConfigScope.Node
                && string.Equals(NodeValue(parameter.Name), Encoding.UTF8.GetString(args[i + 1]), StringComparison.Ordinal))
                continue;
            kept.Add(args[i]);
            kept.Add(args[i + 1]);
        }

        return kept.Count == args.Length ? args : [.. kept];
    }

    private string NodeValue(string name) => name switch
    {
        "port" => EndpointParser.Split(_options.RespEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "bind" => EndpointParser.Split(_options.RespEndpoint).Host,
        "dir" => Path.GetFullPath(_options.DataDirectory),
        _ => "",
    };
}
