namespace RaftKV.Chaos.Checkers;

internal enum Verdict
{
    Valid,
    Unknown,
    Invalid,
}
