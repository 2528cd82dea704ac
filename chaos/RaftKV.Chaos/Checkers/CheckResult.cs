namespace RaftKV.Chaos.Checkers;

/// <summary>A checker's finding: a verdict, a one-line reason and up to a few anomalies as evidence.</summary>
internal sealed record CheckResult(string Checker, Verdict Verdict, string Reason, IReadOnlyList<string> Anomalies)
{
    public const int MaxAnomalies = 20;

    public static CheckResult Valid(string checker, string summary) => new(checker, Verdict.Valid, summary, []);

    public static CheckResult Unknown(string checker, string reason) => new(checker, Verdict.Unknown, reason, []);

    public static CheckResult From(string checker, string summary, List<string> anomalies, List<string> unknowns) =>
        anomalies.Count > 0
            ? new(checker, Verdict.Invalid, anomalies[0], anomalies.Take(MaxAnomalies).ToArray())
            : unknowns.Count > 0
                ? new(checker, Verdict.Unknown, unknowns[0], unknowns.Take(MaxAnomalies).ToArray())
                : Valid(checker, summary);

    /// <summary>The worst of several results: any invalid makes the whole invalid, else any unknown.</summary>
    public static Verdict Combine(IEnumerable<CheckResult> results) =>
        results.Select(r => r.Verdict).DefaultIfEmpty(Verdict.Unknown).Max();
}
