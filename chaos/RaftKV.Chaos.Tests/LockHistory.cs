using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Tests;

/// <summary>Hand-made lock-workload histories with explicit times in milliseconds (the harness records nanoseconds).</summary>
internal sealed class LockHistory(string workload = "lock")
{
    private readonly List<Op> _ops = [];
    private readonly Dictionary<int, Op> _pending = [];
    private int _nextProcess;

    private static long Ns(double ms) => (long)(ms * 1_000_000);

    /// <summary>An acquire by a fresh process; <paramref name="outcome"/> other than ok leaves the lock not held (fail) or unknown (info).</summary>
    public LockHistory Acquire(string owner, double from, double to, long? token, long leaseMs = 1000, string key = "L", OpType outcome = OpType.Ok)
    {
        var p = Process(owner);
        Invoke(p, from, new Op { F = "acquire", Key = key, Owner = owner, TtlMs = leaseMs + 100, LeaseMs = leaseMs });
        return Complete(p, to, outcome, token);
    }

    public LockHistory Write(string owner, long? token, int seq, double from, double to, string key = "L", OpType outcome = OpType.Ok)
    {
        var p = Process(owner);
        var text = (token is { } t ? t + ":" : "") + owner + ":" + seq;
        Invoke(p, from, new Op { F = "write", Key = key, Owner = owner, Value = token, Text = text });
        return Complete(p, to, outcome, outcome == OpType.Ok ? seq + 1 : null);
    }

    public LockHistory Release(string owner, double from, double to, long? result = 1, string key = "L", OpType outcome = OpType.Ok, string? error = null)
    {
        var p = Process(owner);
        Invoke(p, from, new Op { F = "release", Key = key, Owner = owner });
        return Complete(p, to, outcome, result, error: error);
    }

    public LockHistory FinalRead(double from, double to, string key = "L", params string[] texts)
    {
        var p = 1_000_000 + _nextProcess++;
        Invoke(p, from, new Op { F = "read", Key = key, Final = true });
        return Complete(p, to, OpType.Ok, null, texts);
    }

    public IReadOnlyList<OpPair> Pairs() =>
        HistoryLog.Pair(_ops.OrderBy(o => o.Time).Select((o, i) => o with { Index = i }).ToArray());

    private readonly Dictionary<string, int> _processes = new(StringComparer.Ordinal);

    private int Process(string owner)
    {
        if (!_processes.TryGetValue(owner, out var p))
            _processes[owner] = p = _nextProcess++;
        return p;
    }

    private void Invoke(int process, double ms, Op op)
    {
        var invoke = op with { Workload = workload, Process = process, Type = OpType.Invoke, Time = Ns(ms) };
        _pending[process] = invoke;
        _ops.Add(invoke);
    }

    private LockHistory Complete(int process, double ms, OpType type, long? value, string[]? texts = null, string? error = null)
    {
        var invoke = _pending[process];
        _pending.Remove(process);
        _ops.Add(invoke with { Type = type, Time = Ns(ms), Value = type == OpType.Ok ? value ?? invoke.Value : invoke.Value, Texts = texts, Error = error });
        return this;
    }
}
