using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Text;

namespace RaftKV.Node.Server;

/// <summary>
/// CONFIG GET answers the parameters clients ask for on connect (StackExchange.Redis: timeout, databases,
/// replica-read-only; redis-benchmark: save, appendonly). RaftKV's own settings are not changed at runtime.
/// </summary>
internal static class ConfigCommand
{
    private static readonly (string Name, string Value)[] Parameters =
    [
        ("appendfsync", "always"),
        ("appendonly", "yes"),
        ("databases", "1"),
        ("maxclients", "10000"),
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("proto-max-bulk-len", "536870912"),
        ("replica-read-only", "yes"),
        ("save", ""),
        ("slave-read-only", "yes"),
        ("timeout", "0"),
    ];

    /// <param name="respEndpoint">The RESP endpoint this node listens on (host:port): CONFIG GET port and bind answer it.</param>
    /// <param name="resetStats">Clears the statistics CONFIG RESETSTAT resets (INFO commandstats, error counts).</param>
    public static Reply Execute(byte[][] args, string respEndpoint, Action resetStats)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        switch (sub)
        {
            case "GET" when args.Length >= 3:
                return Get(args.Skip(2).ToArray(), respEndpoint);
            case "SET" when args.Length >= 4 && args.Length % 2 == 0:
                return Reply.Error("ERR CONFIG SET is not supported by RaftKV: settings come from its configuration files - '" + Encoding.UTF8.GetString(args[2]) + "'");
            case "RESETSTAT" when args.Length == 2:
                resetStats();
                return Reply.Ok;
            case "REWRITE" when args.Length == 2:
                return Reply.Error("ERR The server is running without a config file");
            case "HELP":
                return Reply.Array(Reply.Simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
                    Reply.Simple("GET <pattern>"), Reply.Simple("RESETSTAT"));
            default:
                return sub is "GET" or "SET" or "RESETSTAT" or "REWRITE"
                    ? Reply.Error(ErrorMessages.WrongArity("config|" + sub.ToLowerInvariant()))
                    : Reply.Error(ErrorMessages.UnknownSubcommand(Encoding.UTF8.GetString(args[1]), "CONFIG"));
        }
    }

    private static Reply Get(byte[][] patterns, string respEndpoint)
    {
        var (host, port) = Configuration.EndpointParser.Split(respEndpoint);
        var local = new (string Name, string Value)[]
        {
            ("bind", host),
            ("port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        var entries = new List<KeyValuePair<Reply, Reply>>();
        foreach (var (name, value) in Parameters.Concat(local).OrderBy(static p => p.Name, StringComparer.Ordinal))
        {
            var bytes = Encoding.ASCII.GetBytes(name);
            if (patterns.Any(p => GlobPattern.IsMatch(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(p).ToLowerInvariant()), bytes)))
                entries.Add(new(Reply.Bulk(name), Reply.Bulk(value)));
        }

        return new MapReply(entries);
    }
}
