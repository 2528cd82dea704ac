namespace RaftKV.Chaos.History;

/// <summary>Jepsen's op types: an invocation, then exactly one of ok (happened), fail (did not happen), info (unknown).</summary>
internal enum OpType
{
    Invoke,
    Ok,
    Fail,
    Info,
}
