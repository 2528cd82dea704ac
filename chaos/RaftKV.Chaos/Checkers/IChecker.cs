using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>Checks the completed ops of one workload. Must finish in bounded time and say Unknown rather than hang.</summary>
internal interface IChecker
{
    string Name { get; }

    CheckResult Check(IReadOnlyList<OpPair> ops);
}
