using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// Counter (INCRBY positive deltas, GET), per key. A value observed by an ok read or returned by an ok INCRBY must lie
/// between the sum of increments acknowledged before the op began (nothing acknowledged may be lost) and the sum of
/// all increments not known to have failed that began before the op ended (nothing counted twice or invented).
/// Reads ordered in real time must not go down.
/// </summary>
internal sealed class CounterChecker : IChecker
{
    public string Name => "counter";

    public CheckResult Check(IReadOnlyList<OpPair> ops)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();
        var observations = 0;
        foreach (var group in ops.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var key = group.Key;
            var incrs = group.Where(o => o.F == "incr" && !o.IsFail).ToList();
            var acked = incrs.Where(o => o.IsOk).ToList();
            var observed = group.Where(o => o.IsOk && (o.F == "read" || o.Result is not null)).OrderBy(o => o.Start).ToList();
            foreach (var op in observed)
            {
                observations++;
                var value = op.Result ?? 0;
                // An INCRBY's reply includes its own increment.
                var lower = acked.Where(a => a.End < op.Start).Sum(a => a.Argument!.Value) + (op.F == "incr" ? op.Argument ?? 0 : 0);
                var upper = incrs.Where(a => a.Start < op.End).Sum(a => a.Argument!.Value);
                if (value < lower)
                    anomalies.Add($"key {key}: {op} saw {value}, below {lower}, the sum of increments acknowledged before it began (lost or stale)");
                else if (value > upper)
                    anomalies.Add($"key {key}: {op} saw {value}, above {upper}, the sum of every increment that began before it ended (counted twice)");
            }
            var reads = observed.Where(o => o.F == "read").ToList();
            for (var i = 0; i < reads.Count; i++)
            {
                for (var j = i + 1; j < reads.Count; j++)
                {
                    if (reads[i].End < reads[j].Start && (reads[j].Result ?? 0) < (reads[i].Result ?? 0))
                        anomalies.Add($"key {key}: stale read: {reads[j]} is below the earlier {reads[i]}");
                }
            }
            if (group.Any(o => o.F == "read" && o.Invoke.Final == true) && !reads.Any(r => r.Invoke.Final == true))
                unknowns.Add($"key {key}: no final read succeeded");
        }
        return CheckResult.From(Name, $"{observations} observed values within bounds", anomalies, unknowns);
    }
}
