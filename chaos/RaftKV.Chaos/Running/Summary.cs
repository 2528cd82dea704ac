using System.Globalization;
using System.Text;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Running;

/// <summary>The human summary of a run; its last line is the verdict: VALID, INVALID: reason, or UNKNOWN: reason.</summary>
internal static class Summary
{
    public static string Write(RunOptions? options, IReadOnlyList<CheckResult> results, IReadOnlyList<OpPair> pairs, int faults, Verdict verdict)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (options is not null)
        {
            text.AppendLine(inv, $"run: seed {options.Seed}, {options.Nodes} nodes, workload {string.Join(",", options.Workloads)}, " +
                                 $"nemesis {(options.Nemeses.Count > 0 ? string.Join(",", options.Nemeses) : "none")}, {options.Duration.TotalSeconds} s");
        }
        var client = pairs.Where(p => p.Invoke.Final != true).ToArray();
        text.AppendLine(inv, $"ops: {client.Length} ({client.Count(p => p.IsOk)} ok, {client.Count(p => p.IsFail)} fail, {client.Count(p => p.IsInfo)} info), " +
                             $"final reads {pairs.Count - client.Length}, faults {faults}");
        foreach (var workload in client.GroupBy(p => p.Invoke.Workload ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var counts = string.Join(", ", workload.GroupBy(p => p.F).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => string.Create(inv, $"{g.Key} {g.Count()} ({g.Count(p => p.IsOk)} ok, {g.Count(p => p.IsFail)} fail, {g.Count(p => p.IsInfo)} info)")));
            text.AppendLine(inv, $"  {workload.Key}: {counts}");
        }
        // Availability is not part of the verdict, but a long stall under a fault the cluster should ride out
        // (a paused or isolated leader) is worth seeing.
        var oks = client.Where(p => p.IsOk).Select(p => p.End).Order().ToArray();
        if (oks.Length > 1)
        {
            var gap = oks.Zip(oks.Skip(1), (a, b) => (From: a, Length: b - a)).MaxBy(g => g.Length);
            text.AppendLine(inv, $"longest time without an ok op: {gap.Length / 1e9:F1} s (from {gap.From / 1e9:F1} s into the run)");
        }
        foreach (var result in results)
        {
            text.AppendLine(inv, $"check {result.Checker}: {result.Verdict.ToString().ToUpperInvariant()} - {result.Reason}");
            foreach (var anomaly in result.Anomalies.Skip(1))
                text.AppendLine(inv, $"    {anomaly}");
        }
        text.AppendLine(VerdictLine(verdict, results));
        return text.ToString();
    }

    public static string VerdictLine(Verdict verdict, IReadOnlyList<CheckResult> results)
    {
        var worst = results.FirstOrDefault(r => r.Verdict == verdict && verdict != Verdict.Valid);
        return verdict switch
        {
            Verdict.Valid => "VALID",
            Verdict.Invalid => $"INVALID: {worst?.Checker}: {worst?.Reason}",
            _ => $"UNKNOWN: {worst?.Checker ?? "no checker ran"}: {worst?.Reason}",
        };
    }

    public static int ExitCode(Verdict verdict) => verdict switch
    {
        Verdict.Valid => 0,
        Verdict.Invalid => 1,
        _ => 2,
    };
}
