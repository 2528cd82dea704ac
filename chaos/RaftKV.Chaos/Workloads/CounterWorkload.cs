using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>INCRBY k d (d in 1..5) and GET k, checked against the bounds the acknowledged increments allow.</summary>
internal sealed class CounterWorkload() : Workload("counter", "ctr", liveKeys: 2, opsPerKey: 400)
{
    public override IChecker Checker { get; } = new CounterChecker();

    public override Op Next(int client, long now, Random random, Func<long> uniqueValue)
    {
        var key = NextKey(random);
        return random.Next(2) == 0
            ? new Op { Workload = Name, F = "incr", Key = key, Value = random.Next(1, 6) }
            : Read(key, final: false);
    }

    public override IReadOnlyList<string> Command(Op invoke) =>
        invoke.F == "incr" ? ["INCRBY", invoke.Key!, Number(invoke.Value!.Value)] : ["GET", invoke.Key!];

    public override Op Complete(Op invoke, RespValue reply) =>
        invoke.F == "incr"
            ? reply.Kind == RespKind.Integer
                ? invoke with { Type = OpType.Ok, Value = reply.Integer }
                : throw new FormatException($"INCRBY replied {reply}")
            : invoke with { Type = OpType.Ok, Value = reply.AsNumber() ?? 0 };
}
