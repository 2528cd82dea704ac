using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// Set (SADD unique values, SMEMBERS), per key. Every ok read holds no value that was never added or whose add
/// failed, and every value whose add was acknowledged before the read began; a read holds everything a read that
/// finished before it began held. An ok SADD of a fresh value must reply 1 (0 means it was applied before).
/// </summary>
internal sealed class SetChecker : IChecker
{
    public string Name => "set";

    public CheckResult Check(IReadOnlyList<OpPair> ops)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();
        var reads = 0;
        foreach (var group in ops.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var key = group.Key;
            var adds = group.Where(o => o.F == "add").ToList();
            var attempted = adds.Where(a => !a.IsFail).Select(a => a.Argument!.Value).ToHashSet();
            var failed = adds.Where(a => a.IsFail).Select(a => a.Argument!.Value).ToHashSet();
            var acked = adds.Where(a => a.IsOk).ToList();
            var okReads = group.Where(o => o.F == "read" && o.IsOk).OrderBy(o => o.Start).ToList();
            reads += okReads.Count;

            foreach (var add in acked.Where(a => a.Result is not null && a.Result != 1))
                anomalies.Add($"key {key}: SADD of a fresh value replied {add.Result}: {add}");

            var sets = okReads.Select(r => (r.Results ?? []).ToHashSet()).ToList();
            for (var i = 0; i < okReads.Count; i++)
            {
                var read = okReads[i];
                if ((read.Results ?? []).Length != sets[i].Count)
                    anomalies.Add($"key {key}: duplicate member in read {read}");
                foreach (var v in sets[i])
                {
                    if (failed.Contains(v))
                        anomalies.Add($"key {key}: value {v} of a failed add is visible in read {read}");
                    else if (!attempted.Contains(v))
                        anomalies.Add($"key {key}: value {v} was never added, in read {read}");
                }
                foreach (var add in acked.Where(a => a.End < read.Start && !sets[i].Contains(a.Argument!.Value)))
                    anomalies.Add($"key {key}: {(read.Invoke.Final == true ? "lost write" : "stale read")}: add {add} acknowledged before read began, missing from {read}");
                for (var j = 0; j < i; j++)
                {
                    if (okReads[j].End < read.Start && !sets[j].IsSubsetOf(sets[i]))
                        anomalies.Add($"key {key}: stale read: {read} lacks members that the earlier {okReads[j]} saw");
                }
            }
            if (group.Any(o => o.F == "read" && o.Invoke.Final == true) && !okReads.Any(r => r.Invoke.Final == true))
                unknowns.Add($"key {key}: no final read succeeded");
        }
        return CheckResult.From(Name, $"{reads} ok reads consistent", anomalies, unknowns);
    }
}
