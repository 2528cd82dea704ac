namespace RaftKV.StateMachine.Commands;

/// <summary>
/// What the state machine itself knows of a command: the name used in error texts, Redis's arity
/// (including the name; negative means "at least") and whether it changes the keyspace.
/// </summary>
internal sealed record CommandInfo(string Name, int Arity, bool IsWrite)
{
    /// <summary>True when <paramref name="argumentCount"/> arguments (excluding the name) satisfy the arity.</summary>
    public bool AcceptsArguments(int argumentCount) =>
        Arity >= 0 ? argumentCount + 1 == Arity : argumentCount + 1 >= -Arity;
}
