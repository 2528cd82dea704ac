using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// LATENCY as Redis 7.0 answers it with latency monitoring off (latency-monitor-threshold 0, its default): RaftKV
/// records no latency events, so LATEST and HISTORY answer empty, GRAPH has no samples, RESET resets none, and DOCTOR
/// says monitoring is off. HISTOGRAM reports this node's per-command durations (<see cref="CommandStats"/>). RaftKV's
/// latencies are in INFO raft and its metrics.
/// </summary>
internal static class LatencyCommand
{
    private static readonly Dictionary<string, int> Arities = new(StringComparer.Ordinal)
    {
        ["DOCTOR"] = 2, ["GRAPH"] = 3, ["HELP"] = 2, ["HISTOGRAM"] = -2, ["HISTORY"] = 3, ["LATEST"] = 2, ["RESET"] = -2,
    };

    public static Reply Execute(byte[][] args, CommandStats stats)
    {
        if (Subcommands.Check("LATENCY", args, Arities, out var sub) is { } invalid)
            return invalid;
        return sub switch
        {
            "LATEST" or "HISTORY" => Reply.EmptyArray,
            "HISTOGRAM" => stats.Histogram(args.Skip(2).Select(static a => Encoding.UTF8.GetString(a)).ToList()),
            "RESET" => Reply.Integer(0),
            "GRAPH" => Reply.Error("ERR No samples available for event '" + Encoding.UTF8.GetString(args[2]) + "'"),
            "DOCTOR" => new VerbatimReply("txt", Encoding.UTF8.GetBytes(
                "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use " +
                "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep " +
                "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")),
            _ => Subcommands.Help("LATENCY",
                "DOCTOR",
                "    Return a human readable latency analysis report.",
                "GRAPH <event>",
                "    Return an ASCII latency graph for the <event> class.",
                "HISTORY <event>",
                "    Return time-latency samples for the <event> class.",
                "LATEST",
                "    Return the latest latency samples for all events.",
                "RESET [<event> ...]",
                "    Reset latency data of one or more <event> classes.",
                "    (default: reset all data for all event classes)",
                "HISTOGRAM [COMMAND ...]",
                "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                "    If no commands are specified then all histograms are replied."),
        };
    }
}
