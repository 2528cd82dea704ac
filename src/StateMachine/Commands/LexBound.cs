namespace RaftKV.StateMachine.Commands;

/// <summary>What a lex range bound is: the smallest or largest possible member, or a given member.</summary>
internal enum LexBoundKind
{
    Minimum,
    Maximum,
    Member,
}

/// <summary>One end of a ZRANGEBYLEX-style range.</summary>
internal readonly record struct LexBound(LexBoundKind Kind, byte[] Member, bool Exclusive);
