using System.Globalization;
using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// The lock's resource, <c>fenced:&lt;lock&gt;</c>, read once after the heal. Every element is a write that was
/// attempted and not failed, none twice, every acknowledged write present. A write acknowledged within its holder's
/// lease committed before any later holder was granted the lock, so:
/// <list type="bullet">
/// <item>With tokens: such a write never follows an element with a larger token. A write that landed late (answered
/// after its lease, or unknown) may follow one; a resource doing the fencing check would reject it, and it is
/// counted, not a violation: that is what fencing tokens are for.</item>
/// <item>Without tokens: the writes acknowledged within their leases form one run per holder (no holder's such
/// writes on both sides of another holder's).</item>
/// </list>
/// </summary>
internal static class FencedListCheck
{
    /// <summary>Adds anomalies and unknowns; returns a one-line account of what was checked.</summary>
    public static string Run(IReadOnlyList<OpPair> ops, IReadOnlyList<LockHold> holds, bool fencing, List<string> anomalies, List<string> unknowns)
    {
        var writes = new Dictionary<string, (OpPair Write, LockHold Hold)>(StringComparer.Ordinal);
        foreach (var hold in holds)
        {
            foreach (var write in hold.Writes)
                writes[write.Invoke.Text ?? ""] = (write, hold);
        }

        int elements = 0, inLeaseCount = 0, rejected = 0;
        foreach (var group in ops.Where(o => o.F is "write" or "read").GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var key = group.Key;
            var finals = group.Where(o => o.F == "read" && o.Invoke.Final == true).ToList();
            var final = finals.LastOrDefault(o => o.IsOk);
            if (final is null)
            {
                if (finals.Count > 0 || group.Any(o => o.F == "write"))
                    unknowns.Add($"lock {key}: no final read of its fenced list succeeded");
                continue;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            LockHold? highest = null;
            string? lastOwner = null;
            var closed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var text in final.Completion!.Texts ?? [])
            {
                elements++;
                if (!seen.Add(text))
                {
                    anomalies.Add($"lock {key}: element {text} appears twice in the fenced list (a write applied twice)");
                    continue;
                }
                if (!writes.TryGetValue(text, out var w) || w.Write.Key != key)
                {
                    anomalies.Add($"lock {key}: element {text} in the fenced list was never written to it");
                    continue;
                }
                if (w.Write.IsFail)
                    anomalies.Add($"lock {key}: the write of {text} failed, yet it is in the fenced list: {w.Write}");
                var inLease = w.Write.IsOk && w.Write.End <= w.Hold.Deadline;
                if (inLease)
                    inLeaseCount++;
                if (fencing)
                {
                    if (highest is null || w.Hold.Token >= highest.Token)
                        highest = w.Hold;
                    else if (inLease)
                        anomalies.Add($"lock {key}: {text}, written and acknowledged within its lease ({w.Hold}), is after a write of a larger token ({highest}): the lock was granted during its lease");
                    else
                        rejected++;
                }
                else if (inLease && w.Hold.Owner != lastOwner)
                {
                    if (lastOwner is not null)
                        closed.Add(lastOwner);
                    if (closed.Contains(w.Hold.Owner))
                        anomalies.Add($"lock {key}: {text}, acknowledged within its lease ({w.Hold}), comes after another holder's writes that followed this holder's earlier ones: two holders at once");
                    lastOwner = w.Hold.Owner;
                }
            }
            foreach (var lost in group.Where(o => o is { F: "write", IsOk: true } && !seen.Contains(o.Invoke.Text ?? "")))
                anomalies.Add($"lock {key}: acknowledged write missing from the fenced list (lost write): {lost}");
        }
        var inv = CultureInfo.InvariantCulture;
        return fencing
            ? string.Create(inv, $"fenced lists: {elements} elements, {inLeaseCount} acknowledged within their lease and in token order, {rejected} late writes a fencing resource would reject")
            : string.Create(inv, $"fenced lists: {elements} elements, {inLeaseCount} acknowledged within their lease, one run per holder");
    }
}
