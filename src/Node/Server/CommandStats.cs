using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// Per-command counters for INFO commandstats and the totals of INFO stats, as Redis 7.0 keeps them: a call that was
/// run counts in <c>calls</c> (and in <c>failed_calls</c> when it answered an error); a call refused before it ran
/// (wrong arity, not allowed in this context) counts only in <c>rejected_calls</c>; an unknown command counts only in
/// <c>total_error_replies</c>. Every error reply is also counted by its code (<see cref="Errors"/>). Commands with
/// subcommands are named <c>container|subcommand</c>. Local to this node.
/// </summary>
internal sealed class CommandStats(Diagnostics.NodeMetrics metrics)
{
    private readonly ConcurrentDictionary<string, Counters> _byName = new(StringComparer.Ordinal);
    private long _calls;
    private long _errors;

    private sealed class Counters
    {
        public long Calls;
        public long Ticks;
        public long Rejected;
        public long Failed;

        /// <summary>Calls by duration: bucket i counts those of at most 2^i microseconds (the last one, any longer).</summary>
        public readonly long[] Buckets = new long[BucketCount];
    }

    /// <summary>Commands run (Redis: total_commands_processed).</summary>
    public long TotalCalls => Interlocked.Read(ref _calls);

    /// <summary>Error replies to commands, run or refused (Redis: total_error_replies).</summary>
    public long TotalErrors => Interlocked.Read(ref _errors);

    /// <summary>Error replies by code (INFO errorstats).</summary>
    public ErrorStats Errors { get; } = new();

    /// <summary>A command refused before it ran with <paramref name="reply"/>; <paramref name="name"/> is null for an unknown command.</summary>
    public void Rejected(string? name, Reply reply)
    {
        Interlocked.Increment(ref _errors);
        Errors.Count(reply is ErrorReply error ? error.Message : "ERR");
        if (name is not null)
            Interlocked.Increment(ref Of(name).Rejected);
    }

    /// <summary>
    /// A command that ran from <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) until now;
    /// also counted in the metrics under <paramref name="command"/> (the registry's name) and <paramref name="protocol"/>.
    /// <paramref name="error"/> is its error reply, null when it succeeded.
    /// </summary>
    /// <returns>The command's time in <see cref="Stopwatch"/> ticks (the clock read once for every count).</returns>
    public long Called(string name, long startedTimestamp, ErrorReply? error, string command, string protocol)
    {
        var ticks = Stopwatch.GetTimestamp() - startedTimestamp;
        metrics.CommandCompletedAfter(command, protocol, ticks, error is not null);
        var counters = Of(name);
        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref counters.Calls);
        Interlocked.Add(ref counters.Ticks, ticks);
        var usec = (ulong)Math.Max(1, (long)Stopwatch.GetElapsedTime(0, ticks).TotalMicroseconds);
        Interlocked.Increment(ref counters.Buckets[Math.Min(BucketCount - 1, 64 - BitOperations.LeadingZeroCount(usec - 1))]);
        if (error is not null)
        {
            Interlocked.Increment(ref counters.Failed);
            if (!error.AlreadyCounted)
            {
                Interlocked.Increment(ref _errors);
                Errors.Count(error.Message);
            }
        }

        return ticks;
    }

    /// <summary>
    /// The commands a script of this node's client called (counted at apply, where Redis's call() counts them): calls,
    /// failed and rejected calls per full name, and in total_commands_processed; no time of their own (the script's
    /// includes it). Their error replies count in errorstats and total_error_replies, as Redis's afterErrorReply counts
    /// them, whether the script raised, returned or swallowed them; a script's reply that carries one of them is not
    /// counted again (<see cref="ErrorReply.AlreadyCounted"/>).
    /// </summary>
    public void CalledByScript(RaftKV.StateMachine.Scripting.ScriptCalls calls)
    {
        foreach (var (name, count) in calls.ByName)
        {
            var counters = Of(name);
            Interlocked.Add(ref _calls, count.Calls);
            Interlocked.Add(ref counters.Calls, count.Calls);
            Interlocked.Add(ref counters.Failed, count.Failed);
            Interlocked.Add(ref counters.Rejected, count.Rejected);
        }

        if (calls.ErrorsByCode is not { } errors)
            return;
        foreach (var (code, times) in errors)
        {
            Interlocked.Add(ref _errors, times);
            Errors.CountCode(code, times);
        }
    }

    /// <summary>CONFIG RESETSTAT.</summary>
    public void Reset()
    {
        _byName.Clear();
        Errors.Reset();
        Interlocked.Exchange(ref _calls, 0);
        Interlocked.Exchange(ref _errors, 0);
    }

    /// <summary>The <c>cmdstat_*</c> lines, in ordinal name order.</summary>
    public void AppendTo(StringBuilder text)
    {
        foreach (var (name, counters) in _byName.OrderBy(static p => p.Key, StringComparer.Ordinal))
        {
            var calls = Interlocked.Read(ref counters.Calls);
            var usec = (long)Stopwatch.GetElapsedTime(0, Interlocked.Read(ref counters.Ticks)).TotalMicroseconds;
            var perCall = calls == 0 ? 0 : (double)usec / calls;
            text.Append(CultureInfo.InvariantCulture,
                $"cmdstat_{name}:calls={calls},usec={usec},usec_per_call={perCall:F2},rejected_calls={Interlocked.Read(ref counters.Rejected)},failed_calls={Interlocked.Read(ref counters.Failed)}\r\n");
        }
    }

    /// <summary>
    /// LATENCY HISTOGRAM: for each command with calls (all of them, or those <paramref name="names"/> name; a container
    /// names its subcommands; unknown names are skipped) its calls and a cumulative histogram of their durations, in
    /// microseconds at powers of two, up to the bucket that holds the slowest call (Redis: an HDR histogram).
    /// </summary>
    public Reply Histogram(IReadOnlyList<string> names)
    {
        var chosen = names.Count == 0
            ? _byName.Keys.Order(StringComparer.Ordinal).ToList()
            : names.Select(static n => n.ToLowerInvariant()).SelectMany(n => _byName.ContainsKey(n)
                ? (IEnumerable<string>)[n]
                : _byName.Keys.Where(k => k.StartsWith(n + "|", StringComparison.Ordinal)).Order(StringComparer.Ordinal)).Distinct().ToList();
        var entries = new List<KeyValuePair<Reply, Reply>>();
        foreach (var name in chosen)
        {
            if (!_byName.TryGetValue(name, out var counters) || Interlocked.Read(ref counters.Calls) == 0)
                continue;
            var buckets = new List<KeyValuePair<Reply, Reply>>();
            long cumulative = 0;
            var calls = Interlocked.Read(ref counters.Calls);
            for (var i = 0; i < BucketCount && cumulative < calls; i++)
            {
                var count = Interlocked.Read(ref counters.Buckets[i]);
                if (count == 0 && cumulative == 0)
                    continue;
                cumulative += count;
                buckets.Add(new(Reply.Integer(1L << i), Reply.Integer(cumulative)));
            }

            entries.Add(new(Reply.Bulk(name), new MapReply(
            [
                new(Reply.Bulk("calls"), Reply.Integer(calls)),
                new(Reply.Bulk("histogram_usec"), new MapReply(buckets)),
            ])));
        }

        return new MapReply(entries);
    }

    /// <summary>
    /// The counters of <paramref name="name"/>. Subcommand names come from clients: past <see cref="MaxNames"/> entries a
    /// new container|subcommand name is counted under its container, so the table cannot grow without bound.
    /// </summary>
    private Counters Of(string name)
    {
        if (!_byName.TryGetValue(name, out var counters) && _byName.Count >= MaxNames && name.IndexOf('|') is > 0 and var bar)
            name = name[..bar];
        return _byName.GetOrAdd(name, static _ => new Counters());
    }

    private const int MaxNames = 4096;
    private const int BucketCount = 40;
}
