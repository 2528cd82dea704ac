using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// LATENCY as Redis 7.0's: LATEST, HISTORY, RESET, GRAPH and DOCTOR read this node's <see cref="LatencyMonitor"/>
/// (events recorded once latency-monitor-threshold is set; none at its default, 0); HISTOGRAM reports this node's
/// per-command durations (<see cref="CommandStats"/>). RaftKV's commit and fsync latencies are in INFO raft and its metrics.
/// </summary>
internal static class LatencyCommand
{
    public static Reply Execute(byte[][] args, CommandStats stats, LatencyMonitor monitor, long thresholdMs)
    {
        if (Subcommands.Check("LATENCY", args, out var sub) is { } invalid)
            return invalid;
        var names = args.Skip(2).Select(static a => Encoding.UTF8.GetString(a)).ToList();
        return sub switch
        {
            "LATEST" => monitor.Latest(),
            "HISTORY" => monitor.History(names[0]),
            "HISTOGRAM" => stats.Histogram(names),
            "RESET" => Reply.Integer(monitor.Reset(names)),
            "GRAPH" => monitor.Graph(names[0]) is { } graph
                ? new VerbatimReply("txt", Encoding.UTF8.GetBytes(graph))
                : Reply.Error("ERR No samples available for event '" + names[0] + "'"),
            "DOCTOR" => new VerbatimReply("txt", Encoding.UTF8.GetBytes(monitor.Doctor(thresholdMs))),
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
