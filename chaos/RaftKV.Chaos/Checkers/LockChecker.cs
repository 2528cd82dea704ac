using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// Lock workloads (acquire, writes to the lock's fenced list, release), on acknowledged acquisitions only: an
/// acquire with an unknown outcome may or may not have granted the lock, so it is never evidence of a violation.
/// <list type="bullet">
/// <item>Tokens (fencing flavour): no token granted to two owners; an acquire that began after another was
/// acknowledged got a larger token (tokens are log indices: strictly increasing in commit order, across locks).</item>
/// <item>Mutual exclusion: no lock granted while another holder's claim (its lease from its acquire's invocation,
/// cut short only by a release that may have taken effect) still ran. With tokens the grant order is known; without,
/// a violation needs either order to be one, i.e. the claims [ok, end] of both overlap.</item>
/// <item>Fencing flavour: a release sent and answered within the lease finds the lock still held by its owner.</item>
/// <item>The fenced list (<see cref="FencedListCheck"/>).</item>
/// </list>
/// A violation needs the server to have let a lease end before ttl after the acquire's invocation, beyond the margin.
/// </summary>
internal sealed class LockChecker(string name, bool fencing) : IChecker
{
    public string Name => name;

    public CheckResult Check(IReadOnlyList<OpPair> ops)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();
        var holds = Holds(ops, anomalies);
        if (fencing)
        {
            CheckTokens(holds, anomalies);
            CheckReleases(holds, anomalies);
        }
        var pairs = 0;
        foreach (var group in holds.GroupBy(h => h.Lock).OrderBy(g => g.Key, StringComparer.Ordinal))
            pairs += CheckExclusion(group.ToList(), anomalies);
        CheckWritesInsideLeases(holds, anomalies);
        var fenced = FencedListCheck.Run(ops, holds, fencing, anomalies, unknowns);
        return CheckResult.From(Name,
            $"{holds.Count} acquisitions, no two claims overlapping ({pairs} pairs checked){(fencing ? ", tokens increasing" : "")}; {fenced}",
            anomalies, unknowns);
    }

    private static List<LockHold> Holds(IReadOnlyList<OpPair> ops, List<string> anomalies)
    {
        var holds = new List<LockHold>();
        foreach (var owner in ops.Where(o => o.Invoke.Owner is not null).GroupBy(o => o.Invoke.Owner!))
        {
            var acquire = owner.FirstOrDefault(o => o.F == "acquire");
            var acted = owner.Where(o => o.F is "write" or "release").ToList();
            if (acquire is { IsOk: true })
                holds.Add(new LockHold(acquire, acted.FirstOrDefault(o => o.F == "release"), acted.Where(o => o.F == "write").ToList()));
            else if (acted.Count > 0)
                anomalies.Add($"harness: owner {owner.Key} acted without an acknowledged acquire: {acted[0]}");
        }
        return holds;
    }

    private static void CheckTokens(List<LockHold> holds, List<string> anomalies)
    {
        foreach (var token in holds.GroupBy(h => h.Token).Where(g => g.Select(h => h.Owner).Distinct().Count() > 1))
            anomalies.Add($"token {token.Key} granted to two owners: {string.Join("; ", token)}");

        // Every acquire must get a larger token than every acquire acknowledged before it began.
        var byGrant = holds.OrderBy(h => h.Granted).ToList();
        var next = 0;
        LockHold? highest = null;
        foreach (var hold in holds.OrderBy(h => h.Acquire.Start))
        {
            for (; next < byGrant.Count && byGrant[next].Granted < hold.Acquire.Start; next++)
            {
                if (highest is null || byGrant[next].Token > highest.Token)
                    highest = byGrant[next];
            }
            if (highest is not null && hold.Token <= highest.Token)
                anomalies.Add($"token not increasing: {hold} began after {highest} was acknowledged, with a token no larger");
        }
    }

    private static void CheckReleases(List<LockHold> holds, List<string> anomalies)
    {
        foreach (var hold in holds)
        {
            if (hold.Release is not { } release || release.End >= hold.Deadline)
                continue;
            if (release is { IsOk: true, Result: 0 })
                anomalies.Add($"lease ended early: {hold}, but its release, answered at {LockHold.Seconds(release.End)}, found the lock not held: {release}");
            else if (release.IsFail && release.Completion?.Error?.StartsWith("NOTOWNER", StringComparison.Ordinal) == true)
                anomalies.Add($"lease ended early: {hold}, but its release, answered at {LockHold.Seconds(release.End)}, found another owner: {release}");
        }
    }

    /// <summary>Returns the number of pairs compared.</summary>
    private int CheckExclusion(List<LockHold> holds, List<string> anomalies)
    {
        var compared = 0;
        for (var i = 0; i < holds.Count; i++)
        {
            for (var j = i + 1; j < holds.Count; j++)
            {
                compared++;
                var (a, b) = (holds[i], holds[j]);
                bool? aFirst = fencing
                    ? a.Token < b.Token
                    : a.Granted < b.Acquire.Start ? true : b.Granted < a.Acquire.Start ? false : null;
                var violated = aFirst switch
                {
                    true => b.Granted < a.End,
                    false => a.Granted < b.End,
                    null => b.Granted < a.End && a.Granted < b.End,
                };
                if (!violated)
                    continue;
                var (first, second) = aFirst == false ? (b, a) : (a, b);
                anomalies.Add($"lock {a.Lock}: two holders at once: {second} was granted while {first} still held it" +
                              (aFirst is null ? " (grant order unknown; either order overlaps)" : ""));
            }
        }
        return compared;
    }

    private static void CheckWritesInsideLeases(List<LockHold> holds, List<string> anomalies)
    {
        foreach (var hold in holds)
        {
            var stop = Math.Min(hold.Deadline, hold.Release?.Start ?? long.MaxValue);
            foreach (var write in hold.Writes.Where(w => w.Start < hold.Granted || w.Start > stop))
                anomalies.Add($"harness: write sent outside its holder's lease: {write}; {hold}");
        }
    }
}
