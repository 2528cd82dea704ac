using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>SADD k v with unique values and SMEMBERS k.</summary>
internal sealed class SetWorkload() : Workload("set", "set", liveKeys: 3, opsPerKey: 200)
{
    public override IChecker Checker { get; } = new SetChecker();

    public override Op Next(int client, long now, Random random, Func<long> uniqueValue)
    {
        var key = NextKey(random);
        return random.Next(2) == 0
            ? new Op { Workload = Name, F = "add", Key = key, Value = uniqueValue() }
            : Read(key, final: false);
    }

    public override IReadOnlyList<string> Command(Op invoke) =>
        invoke.F == "add" ? ["SADD", invoke.Key!, Number(invoke.Value!.Value)] : ["SMEMBERS", invoke.Key!];

    public override Op Complete(Op invoke, RespValue reply) =>
        invoke.F == "add"
            ? reply.Kind == RespKind.Integer
                ? invoke with { Type = OpType.Ok, Value = reply.Integer }
                : throw new FormatException($"SADD replied {reply}")
            : invoke with { Type = OpType.Ok, Values = reply.AsNumbers() };
}
