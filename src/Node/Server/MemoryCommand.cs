using System.Text;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Server;

/// <summary>
/// MEMORY. USAGE estimates a key's bytes from this node's applied state (key, value in its canonical form, and a
/// fixed per-key overhead; an expired key not yet swept still counts, as in Redis); SAMPLES is checked and otherwise
/// unused, since every element is counted. STATS reports the .NET heap in Redis's field names; DOCTOR and
/// MALLOC-STATS answer as Redis does without findings or allocator statistics; PURGE has nothing to purge.
/// </summary>
internal static class MemoryCommand
{
    /// <summary>MEMORY: USAGE and STATS read the applied state without blocking a thread for an apply.</summary>
    public static async ValueTask<Reply> ExecuteAsync(RaftHost raft, byte[][] args, CancellationToken token)
    {
        if (Subcommands.Check("MEMORY", args, out var sub) is { } invalid)
            return invalid;
        return sub switch
        {
            "USAGE" => await UsageAsync(raft, args, token).ConfigureAwait(false),
            "STATS" => await StatsAsync(raft, token).ConfigureAwait(false),
            "DOCTOR" => new VerbatimReply("txt", Encoding.UTF8.GetBytes(
                "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")),
            "MALLOC-STATS" => new VerbatimReply("txt", Encoding.UTF8.GetBytes("Stats not supported for the current memory allocator")),
            "PURGE" => Reply.Ok,
            _ => Subcommands.Help("MEMORY",
                "DOCTOR",
                "    Return memory problems reports.",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "STATS",
                "    Return information about the memory usage of the server.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all)."),
        };
    }

    private static async ValueTask<Reply> UsageAsync(RaftHost raft, byte[][] args, CancellationToken token)
    {
        for (var i = 3; i < args.Length; i++)
        {
            if (!Encoding.ASCII.GetString(args[i]).Equals("SAMPLES", StringComparison.OrdinalIgnoreCase) || i + 1 >= args.Length)
                return Reply.Error(ErrorMessages.Syntax);
            if (!RedisNumber.TryParseLong(args[++i], out var samples))
                return Reply.Error(ErrorMessages.NotInteger);
            if (samples < 0)
                return Reply.Error(ErrorMessages.Syntax);
        }

        if (!raft.IsStarted)
            return Reply.Null;
        var key = args[2];
        var usage = await raft.StateMachine.ReadAsync(store => store.MemoryUsage(key), token).ConfigureAwait(false);
        return usage is { } bytes ? Reply.Integer(bytes) : Reply.Null;
    }

    private static async ValueTask<Reply> StatsAsync(RaftHost raft, CancellationToken token)
    {
        var keys = raft.IsStarted ? await raft.StateMachine.ReadAsync(static s => s.KeyCount, token).ConfigureAwait(false) : 0;
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        var info = GC.GetGCMemoryInfo();
        var rss = Environment.WorkingSet;
        return new MapReply(
        [
            Pair("peak.allocated", Reply.Integer(Math.Max(heap, info.HeapSizeBytes))),
            Pair("total.allocated", Reply.Integer(heap)),
            Pair("startup.allocated", Reply.Integer(0)),
            Pair("replication.backlog", Reply.Integer(0)),
            Pair("clients.slaves", Reply.Integer(0)),
            Pair("clients.normal", Reply.Integer(0)),
            Pair("cluster.links", Reply.Integer(0)),
            Pair("aof.buffer", Reply.Integer(0)),
            Pair("lua.caches", Reply.Integer(0)),
            Pair("functions.caches", Reply.Integer(0)),
            Pair("overhead.total", Reply.Integer(0)),
            Pair("keys.count", Reply.Integer(keys)),
            Pair("keys.bytes-per-key", Reply.Integer(keys == 0 ? 0 : heap / keys)),
            Pair("dataset.bytes", Reply.Integer(heap)),
            Pair("allocator.allocated", Reply.Integer(heap)),
            Pair("allocator.resident", Reply.Integer(rss)),
            Pair("fragmentation", Reply.Bulk(heap == 0 ? "0" : ((double)rss / heap).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))),
            Pair("fragmentation.bytes", Reply.Integer(rss - heap)),
        ]);
    }

    private static KeyValuePair<Reply, Reply> Pair(string name, Reply value) => new(Reply.Bulk(name), value);
}
