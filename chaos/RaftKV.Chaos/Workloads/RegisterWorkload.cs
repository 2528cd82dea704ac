using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>SET k v with unique values and GET k, half and half, checked for linearizability.</summary>
internal sealed class RegisterWorkload() : Workload("register", "reg", liveKeys: 3, opsPerKey: 150)
{
    public override IChecker Checker { get; } = new LinearizabilityChecker(TimeSpan.FromSeconds(20));

    public override Op Next(int client, long now, Random random, Func<long> uniqueValue)
    {
        var key = NextKey(random);
        return random.Next(2) == 0
            ? new Op { Workload = Name, F = "write", Key = key, Value = uniqueValue() }
            : Read(key, final: false);
    }

    public override IReadOnlyList<string> Command(Op invoke) =>
        invoke.F == "write" ? ["SET", invoke.Key!, Number(invoke.Value!.Value)] : ["GET", invoke.Key!];

    public override Op Complete(Op invoke, RespValue reply)
    {
        if (invoke.F == "write")
        {
            return reply is { Kind: RespKind.Simple, Text: "OK" }
                ? invoke with { Type = OpType.Ok }
                : throw new FormatException($"SET replied {reply}");
        }
        return invoke with { Type = OpType.Ok, Value = reply.AsNumber() };
    }
}
