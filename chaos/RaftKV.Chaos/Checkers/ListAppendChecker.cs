using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// List-append (RPUSH unique values, LRANGE 0 -1), per key. Every ok read must be a prefix of one order (the longest
/// read); hold no duplicates; hold no value that was never appended or whose append failed; hold every append
/// acknowledged before the read began; and be at least as long as any read that finished before it began. An ok
/// RPUSH that replied length n must sit at position n of the order (catches an append applied twice), and appends
/// ordered in real time must be in that order. The final read after the heal must hold every acknowledged append.
/// </summary>
internal sealed class ListAppendChecker : IChecker
{
    public string Name => "list-append";

    public CheckResult Check(IReadOnlyList<OpPair> ops)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();
        var keys = 0;
        var reads = 0;
        foreach (var group in ops.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            keys++;
            var key = group.Key;
            var appends = group.Where(o => o.F == "append").ToList();
            var okReads = group.Where(o => o.F == "read" && o.IsOk).OrderBy(o => o.Start).ToList();
            reads += okReads.Count;
            var attempted = appends.Where(a => !a.IsFail).Select(a => a.Argument!.Value).ToHashSet();
            var failed = appends.Where(a => a.IsFail).Select(a => a.Argument!.Value).ToHashSet();
            var acked = appends.Where(a => a.IsOk).OrderBy(a => a.End).ToList();

            var longest = okReads.Select(r => r.Results ?? []).MaxBy(r => r.Length) ?? [];
            var position = new Dictionary<long, int>();
            for (var i = 0; i < longest.Length; i++)
                position.TryAdd(longest[i], i);

            foreach (var read in okReads)
            {
                var values = read.Results ?? [];
                var seen = new HashSet<long>();
                foreach (var v in values)
                {
                    if (!seen.Add(v))
                        anomalies.Add($"key {key}: duplicate {v} in read {read}");
                    else if (failed.Contains(v))
                        anomalies.Add($"key {key}: value {v} of a failed append is visible in read {read}");
                    else if (!attempted.Contains(v))
                        anomalies.Add($"key {key}: value {v} was never appended, in read {read}");
                }
                for (var i = 0; i < values.Length; i++)
                {
                    if (values[i] != longest[i])
                    {
                        anomalies.Add($"key {key}: read is not a prefix of the longest read [{string.Join(" ", longest)}] at position {i}: {read}");
                        break;
                    }
                }
                foreach (var append in acked)
                {
                    if (append.End >= read.Start)
                        break;
                    if (!seen.Contains(append.Argument!.Value))
                        anomalies.Add($"key {key}: {(read.Invoke.Final == true ? "lost write" : "stale read")}: append {append} acknowledged before read began, missing from {read}");
                }
            }

            for (var i = 0; i < okReads.Count; i++)
            {
                for (var j = 0; j < okReads.Count; j++)
                {
                    if (okReads[i].End < okReads[j].Start && (okReads[j].Results?.Length ?? 0) < (okReads[i].Results?.Length ?? 0))
                        anomalies.Add($"key {key}: stale read: {okReads[j]} is shorter than the earlier {okReads[i]}");
                }
            }

            foreach (var append in acked)
            {
                if (append.Result is { } length && length >= 1 && length <= longest.Length && longest[length - 1] != append.Argument)
                    anomalies.Add($"key {key}: RPUSH replied length {length} but position {length} holds {longest[length - 1]}: {append}");
            }

            // Real-time order of appends: an append acknowledged before another began must come earlier in the order.
            var byEnd = acked.Where(a => position.ContainsKey(a.Argument!.Value)).ToList();
            foreach (var later in appends.Where(a => position.ContainsKey(a.Argument!.Value)))
            {
                var at = position[later.Argument!.Value];
                foreach (var earlier in byEnd)
                {
                    if (earlier.End >= later.Start)
                        break;
                    if (position[earlier.Argument!.Value] > at)
                    {
                        anomalies.Add($"key {key}: append {earlier} finished before {later} began but comes after it");
                        break;
                    }
                }
            }

            if (group.Any(o => o.F == "read" && o.Invoke.Final == true) && !okReads.Any(r => r.Invoke.Final == true))
                unknowns.Add($"key {key}: no final read succeeded");
        }
        return CheckResult.From(Name, $"{keys} keys, {reads} ok reads consistent with one order per key", anomalies, unknowns);
    }
}
