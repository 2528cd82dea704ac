using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>RPUSH k v with unique values and LRANGE k 0 -1, the workload of the Redis-Raft analysis.</summary>
internal sealed class ListAppendWorkload() : Workload("list-append", "list", liveKeys: 3, opsPerKey: 200)
{
    public override IChecker Checker { get; } = new ListAppendChecker();

    public override Op Next(int client, long now, Random random, Func<long> uniqueValue)
    {
        var key = NextKey(random);
        return random.Next(2) == 0
            ? new Op { Workload = Name, F = "append", Key = key, Value = uniqueValue() }
            : Read(key, final: false);
    }

    public override IReadOnlyList<string> Command(Op invoke) =>
        invoke.F == "append" ? ["RPUSH", invoke.Key!, Number(invoke.Value!.Value)] : ["LRANGE", invoke.Key!, "0", "-1"];

    public override Op Complete(Op invoke, RespValue reply) =>
        invoke.F == "append"
            ? reply.Kind == RespKind.Integer
                ? invoke with { Type = OpType.Ok, Value = reply.Integer }
                : throw new FormatException($"RPUSH replied {reply}")
            : invoke with { Type = OpType.Ok, Values = reply.AsNumbers() };
}
