using System.Globalization;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// Bank workload, per account group (the ops' key). The group's total is its set-up's balance times its accounts.
/// <list type="bullet">
/// <item>Every ok read (one MGET of all the group's accounts, also the final one) sees either no account (only
/// before a set-up was acknowledged) or every account, summing to the total. Transfers are atomic, so this holds
/// whatever their outcomes: a read off the total is a partial transfer, a lost update (a guarded transfer that
/// went through although a watched key had changed) or a lost or doubled write. Some accounts present and others
/// not is a partial set-up.</item>
/// <item>In a group that only guarded transfers change, no balance observed anywhere (reads, the guarded GETs,
/// EXEC's DECRBY replies) is negative: WATCH let two debits of the same balance both commit.</item>
/// <item>A balance missing after a set-up was acknowledged is a lost write.</item>
/// </list>
/// Unknown when a group has no ok read of its initialised accounts (nothing was checked; e.g. a server that refuses
/// MULTI) or when its final read did not succeed.
/// </summary>
internal sealed class BankChecker : IChecker
{
    private const int MaxExplanations = 3;

    public string Name => "bank";

    public CheckResult Check(IReadOnlyList<OpPair> ops)
    {
        var anomalies = new List<string>();
        var unknowns = new List<string>();
        var reads = 0;
        foreach (var group in ops.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
            reads += CheckGroup(group.Key, group.ToList(), anomalies, unknowns);
        var summary = string.Create(CultureInfo.InvariantCulture, $"{reads} reads of full groups, each at its total, no guarded balance negative; {Outcomes(ops)}");
        var result = CheckResult.From(Name, summary, anomalies, unknowns);
        return result.Verdict == Verdict.Valid ? result : result with { Anomalies = [.. result.Anomalies, "outcomes: " + Outcomes(ops)] };
    }

    /// <summary>Returns the number of ok reads that saw the whole group.</summary>
    private static int CheckGroup(string group, List<OpPair> ops, List<string> anomalies, List<string> unknowns)
    {
        var inits = ops.Where(o => o.F == "init").ToList();
        if (inits.Count == 0)
        {
            unknowns.Add($"group {group}: no set-up attempted, nothing to check");
            return 0;
        }
        var accounts = inits[0].Invoke.Accounts ?? [];
        var total = (inits[0].Argument ?? 0) * accounts.Length;
        if (inits.Any(i => (i.Invoke.Accounts ?? []).Length != accounts.Length || i.Argument != inits[0].Argument))
            anomalies.Add($"harness: group {group}: set-ups disagree on the accounts or balance");
        var guardedOnly = !ops.Any(o => o.F == "transfer");
        var acknowledged = inits.Where(i => i.IsOk).Select(i => i.End).DefaultIfEmpty(long.MaxValue).Min();
        var attempted = inits.Where(i => !i.IsFail).Select(i => i.Start).DefaultIfEmpty(long.MaxValue).Min();
        var full = 0;

        foreach (var read in ops.Where(o => o is { F: "read", IsOk: true }))
        {
            var balances = read.Completion!.Balances ?? [];
            var missing = balances.Count(b => b is null);
            if (guardedOnly && balances.Any(b => b < 0))
                anomalies.Add($"group {group}: negative balance (only guarded transfers change this group; WATCH let two debits of one balance commit): {Describe(read)}");
            if (balances.Length != accounts.Length)
                anomalies.Add($"harness: group {group}: {Describe(read)} has {balances.Length} balances for {accounts.Length} accounts");
            else if (missing == balances.Length)
            {
                if (acknowledged < read.Start)
                    anomalies.Add($"group {group}: lost set-up: {Describe(read)} found no account, though a set-up was acknowledged at {Seconds(acknowledged)}, before it began");
            }
            else if (missing > 0)
                anomalies.Add($"group {group}: partial set-up: {Describe(read)} found {balances.Length - missing} of {balances.Length} accounts (one transaction created them)");
            else
            {
                full++;
                if (read.End < attempted)
                    anomalies.Add($"group {group}: {Describe(read)} found balances, though no set-up that may have applied (ok or unknown) had begun by then");
                var sum = balances.Sum(b => b!.Value);
                // Past the anomalies the result keeps, the search for transfers that explain a read is not worth its cost.
                if (sum != total)
                    anomalies.Add(anomalies.Count < CheckResult.MaxAnomalies ? NotConserved(group, read, sum, total, ops) : $"group {group}: total not conserved: {Describe(read)} sums to {sum}, not {total}");
            }
        }

        foreach (var op in ops.Where(o => o.F is "transfer" or "guarded" && o.Completion?.Balances is not null))
        {
            var balances = op.Completion!.Balances!;
            for (var i = 0; i < balances.Length; i++)
            {
                var account = op.Invoke.Accounts is { Length: > 0 } a ? a[i % a.Length] : "?";
                if (balances[i] is null && acknowledged < op.Start)
                    anomalies.Add($"group {group}: lost set-up: {Describe(op)} found account {account} missing, though a set-up was acknowledged at {Seconds(acknowledged)}");
                else if (guardedOnly && balances[i] < 0)
                    anomalies.Add($"group {group}: negative balance {balances[i]} of {account} (only guarded transfers change this group; WATCH let two debits of one balance commit): {Describe(op)}");
            }
        }
        if (full == 0)
            unknowns.Add($"group {group}: no read saw its accounts set up (set-ups: {inits.Count(i => i.IsOk)} ok of {inits.Count}), nothing checked");
        if (ops.Any(o => o.F == "read" && o.Invoke.Final == true) && !ops.Any(o => o is { F: "read", IsOk: true } && o.Invoke.Final == true))
            unknowns.Add($"group {group}: no final read succeeded");
        return full;
    }

    /// <summary>The anomaly for a read off the total, naming the transfers of the difference that may explain it.</summary>
    private static string NotConserved(string group, OpPair read, long sum, long total, List<OpPair> ops)
    {
        var difference = sum - total;
        var suspects = ops
            .Where(o => o.F is "transfer" or "guarded" && o.Argument == Math.Abs(difference) && o.Start < read.End)
            .OrderByDescending(o => o.Start)
            .Take(MaxExplanations)
            .Select(Describe)
            .ToList();
        var explained = suspects.Count > 0
            ? $"; transfers of {Math.Abs(difference).ToString(CultureInfo.InvariantCulture)} that began before the read ended: {string.Join("; ", suspects)}"
            : "";
        return $"group {group}: total not conserved: {Describe(read)} sums to {sum}, not {total} ({(difference > 0 ? "+" : "")}{difference}; " +
               $"a partial transfer, a lost update or a lost or doubled write){explained}";
    }

    private static string Outcomes(IReadOnlyList<OpPair> ops)
    {
        var client = ops.Where(o => o.Invoke.Final != true).ToList();
        string Count(string f)
        {
            var of = client.Where(o => o.F == f).ToList();
            var aborted = of.Count(o => o.IsFail && o.Completion?.Error == BankWorkload.AbortedByWatch);
            var insufficient = of.Count(o => o.IsFail && o.Completion?.Error == BankWorkload.Insufficient);
            var errors = of.Count(o => o.IsFail) - aborted - insufficient;
            return string.Create(CultureInfo.InvariantCulture, $"{f} {of.Count(o => o.IsOk)} ok") +
                   (f == "guarded" ? string.Create(CultureInfo.InvariantCulture, $", {aborted} aborted by WATCH, {insufficient} insufficient") : "") +
                   string.Create(CultureInfo.InvariantCulture, $", {of.Count(o => o.IsInfo)} unknown, {errors} failed");
        }
        return $"{Count("transfer")}; {Count("guarded")}; {Count("read")}; {Count("init")}";
    }

    private static string Describe(OpPair op)
    {
        var accounts = op.Invoke.Accounts ?? [];
        var what = op.F switch
        {
            "transfer" or "guarded" when accounts.Length == 2 => $"{op.F}{(op.Invoke.Text is { } t ? "(" + t + ")" : "")} {accounts[0]}->{accounts[1]} {op.Argument}",
            _ => op.F + (op.Invoke.Final == true ? " (final)" : ""),
        };
        var balances = op.Completion?.Balances is { } b
            ? " [" + string.Join(" ", b.Select((v, i) => (accounts.Length > 0 ? Short(accounts[i % accounts.Length]) + "=" : "") + (v?.ToString(CultureInfo.InvariantCulture) ?? "nil"))) + "]"
            : "";
        return $"#{op.Invoke.Index} p{op.Invoke.Process} {what} {Seconds(op.Start)}-{(op.IsInfo ? "?" : Seconds(op.End))} -> " +
               op.Outcome.ToString().ToLowerInvariant() + balances + (op.Completion?.Error is { } e ? " (" + e + ")" : "");
    }

    /// <summary>An account's index within its group (the key's last part), for short listings.</summary>
    private static string Short(string account) => account[(account.LastIndexOf(':') + 1)..];

    private static string Seconds(long ns) => (ns / 1e9).ToString("F3", CultureInfo.InvariantCulture) + " s";
}
