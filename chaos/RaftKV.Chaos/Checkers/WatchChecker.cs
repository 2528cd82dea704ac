using System.Globalization;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Running;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// The gRPC watcher's stream of the register keys against the run's history: revisions strictly increase across
/// every resume (no duplicate, no reordering); every acknowledged SET was streamed (no gap), no failed one was, and
/// none twice; two SETs of a key ordered in real time were streamed in that order; the last value streamed for a key
/// is the one its final read found.
/// </summary>
internal static class WatchChecker
{
    public const string Name = "watch";

    public static CheckResult Check(IReadOnlyList<OpPair> register, Watcher watcher, bool caughtUp) =>
        Check(register, watcher.Changes, watcher.Gaps.Count, watcher.Resumes, caughtUp);

    /// <param name="gaps">Streams a node refused to resume (OUT_OF_RANGE, ABORTED).</param>
    public static CheckResult Check(IReadOnlyList<OpPair> register, IReadOnlyList<Watcher.Change> changes, int gaps, int streams, bool caughtUp)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();

        for (var i = 1; i < changes.Count; i++)
        {
            if (changes[i].Revision < changes[i - 1].Revision
                || (changes[i].Revision == changes[i - 1].Revision && changes[i].Key == changes[i - 1].Key))
                anomalies.Add($"revision {changes[i].Revision} ({changes[i].Key} from {changes[i].Node}) streamed after {changes[i - 1].Revision} ({changes[i - 1].Key} from {changes[i - 1].Node}): duplicate or reordered");
        }

        var position = new Dictionary<(string Key, string Value), int>();
        for (var i = 0; i < changes.Count; i++)
        {
            if (changes[i].Value is not { } value)
                continue;
            if (!position.TryAdd((changes[i].Key, value), i))
                anomalies.Add($"{changes[i].Key} = {value} streamed twice (revision {changes[i].Revision}, from {changes[i].Node})");
        }

        var writes = register.Where(static p => p.Invoke.F == "write" && p.Invoke.Value is not null).ToList();
        string Text(OpPair p) => p.Invoke.Value!.Value.ToString(CultureInfo.InvariantCulture);
        foreach (var write in writes)
        {
            var streamed = position.ContainsKey((write.Invoke.Key!, Text(write)));
            if (write.IsOk && !streamed)
            {
                var missing = $"acknowledged SET {write.Invoke.Key} {Text(write)} (#{write.Invoke.Index}) never streamed";
                // A watcher every node refused to resume could not see it: that is no evidence either way.
                (gaps == 0 ? anomalies : unknowns).Add(missing);
            }
            else if (write.IsFail && streamed)
                anomalies.Add($"failed SET {write.Invoke.Key} {Text(write)} (#{write.Invoke.Index}) streamed");
        }

        foreach (var byKey in writes.Where(static w => w.IsOk).GroupBy(static w => w.Invoke.Key!))
        {
            var ordered = byKey.Where(w => position.ContainsKey((byKey.Key, Text(w)))).ToList();
            foreach (var earlier in ordered)
            {
                foreach (var later in ordered)
                {
                    if (earlier.Completion!.Time < later.Invoke.Time && position[(byKey.Key, Text(earlier))] > position[(byKey.Key, Text(later))])
                        anomalies.Add($"{byKey.Key}: SET {Text(later)} streamed before SET {Text(earlier)}, which finished before it began");
                }
            }
        }

        var finals = register.Where(static p => p.Invoke.Final == true && p.IsOk && p.Invoke.F == "read").GroupBy(static p => p.Invoke.Key!);
        foreach (var final in finals)
        {
            var read = final.Last().Completion!.Value;
            var last = changes.LastOrDefault(c => c.Key == final.Key);
            var streamed = last?.Value is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : (long?)null;
            if (last is not null && streamed != read)
                anomalies.Add($"{final.Key}: last value streamed {streamed?.ToString(CultureInfo.InvariantCulture) ?? "none"}, final read {read?.ToString(CultureInfo.InvariantCulture) ?? "nil"}");
        }

        if (!caughtUp)
            unknowns.Add("the watcher did not receive a write made after the final reads within 30 s");
        if (changes.Count == 0 && writes.Any(static w => w.IsOk))
            unknowns.Add("the watcher received nothing");
        return CheckResult.From(Name,
            $"{changes.Count} changes streamed over {streams} streams ({gaps} refused to replay), matching {writes.Count(static w => w.IsOk)} acknowledged writes",
            anomalies, unknowns);
    }
}
