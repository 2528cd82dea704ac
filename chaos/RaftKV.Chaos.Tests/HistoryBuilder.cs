using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Tests;

/// <summary>Writes hand-made histories: each call is one event, one time unit after the previous.</summary>
internal sealed class HistoryBuilder(string workload)
{
    private readonly List<Op> _ops = [];
    private readonly Dictionary<int, Op> _pending = [];
    private long _time;

    public HistoryBuilder Invoke(int process, string f, string key, long? value = null, bool final = false)
    {
        var op = new Op
        {
            Index = _ops.Count, Time = ++_time, Process = process, Type = OpType.Invoke, Workload = workload,
            F = f, Key = key, Value = value, Final = final ? true : null,
        };
        _pending[process] = op;
        _ops.Add(op);
        return this;
    }

    public HistoryBuilder Ok(int process, long? value = null, long[]? values = null) => Complete(process, OpType.Ok, value, values);

    public HistoryBuilder Fail(int process) => Complete(process, OpType.Fail, null, null);

    public HistoryBuilder Info(int process) => Complete(process, OpType.Info, null, null);

    /// <summary>Invoke and complete at once: an op with no concurrency.</summary>
    public HistoryBuilder Op(int process, string f, string key, long? value = null, long? result = null, long[]? values = null, bool final = false) =>
        Invoke(process, f, key, value, final).Ok(process, result ?? (f == "read" ? null : value), values);

    private HistoryBuilder Complete(int process, OpType type, long? value, long[]? values)
    {
        var invoke = _pending[process];
        _pending.Remove(process);
        _ops.Add(invoke with { Index = _ops.Count, Time = ++_time, Type = type, Value = value ?? (type == OpType.Ok ? invoke.Value : invoke.Value), Values = values });
        return this;
    }

    public IReadOnlyList<Op> Ops => _ops;

    public IReadOnlyList<OpPair> Pairs() => HistoryLog.Pair(_ops);
}
