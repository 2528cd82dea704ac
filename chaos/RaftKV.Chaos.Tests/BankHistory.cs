using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Tests;

/// <summary>
/// Hand-made bank histories with explicit times in milliseconds: one group <c>G</c> of three accounts
/// (<c>G:0</c>..<c>G:2</c>, 100 each, total 300) unless told otherwise.
/// </summary>
internal sealed class BankHistory
{
    private readonly List<Op> _ops = [];
    private readonly Dictionary<int, Op> _pending = [];

    private static long Ns(double ms) => (long)(ms * 1_000_000);

    public static string[] Accounts(string group = "G") => [group + ":0", group + ":1", group + ":2"];

    public BankHistory Init(int process, double from, double to, OpType outcome = OpType.Ok, string group = "G", string? error = null)
    {
        Invoke(process, from, new Op { F = "init", Key = group, Accounts = Accounts(group), Value = 100 });
        return Complete(process, to, outcome, null, error);
    }

    public BankHistory Transfer(int process, double from, double to, int a, int b, long amount, OpType outcome = OpType.Ok, long?[]? balances = null, string group = "G")
    {
        Invoke(process, from, new Op { F = "transfer", Key = group, Accounts = [group + ":" + a, group + ":" + b], Value = amount });
        return Complete(process, to, outcome, balances, null);
    }

    /// <summary>A guarded transfer; <paramref name="balances"/> are its GETs (then, delta form, EXEC's replies).</summary>
    public BankHistory Guarded(int process, double from, double to, int a, int b, long amount, long?[] balances,
        OpType outcome = OpType.Ok, string form = "set", string? error = null, string group = "G")
    {
        Invoke(process, from, new Op { F = "guarded", Key = group, Accounts = [group + ":" + a, group + ":" + b], Value = amount, Text = form });
        return Complete(process, to, outcome, balances, error);
    }

    public BankHistory Read(int process, double from, double to, long?[]? balances, bool final = false, OpType outcome = OpType.Ok, string group = "G")
    {
        Invoke(process, from, new Op { F = "read", Key = group, Accounts = Accounts(group), Final = final ? true : null });
        return Complete(process, to, outcome, outcome == OpType.Ok ? balances : null, outcome == OpType.Fail ? "CLUSTERDOWN No Raft leader" : null);
    }

    public IReadOnlyList<OpPair> Pairs() =>
        HistoryLog.Pair(_ops.OrderBy(o => o.Time).Select((o, i) => o with { Index = i }).ToArray());

    private void Invoke(int process, double ms, Op op)
    {
        var invoke = op with { Workload = "bank", Process = process, Type = OpType.Invoke, Time = Ns(ms) };
        _pending[process] = invoke;
        _ops.Add(invoke);
    }

    private BankHistory Complete(int process, double ms, OpType type, long?[]? balances, string? error)
    {
        var invoke = _pending[process];
        _pending.Remove(process);
        _ops.Add(invoke with { Type = type, Time = Ns(ms), Balances = balances, Error = error });
        return this;
    }
}
