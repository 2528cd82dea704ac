namespace RaftKV.StateMachine.Values;

/// <summary>One sorted-set element.</summary>
internal readonly record struct ScoredMember(byte[] Member, double Score);
