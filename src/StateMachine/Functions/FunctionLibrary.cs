namespace RaftKV.StateMachine.Functions;

/// <summary>
/// A loaded library: its name, its whole code as FUNCTION LOAD received it (the shebang line included, as FUNCTION
/// DUMP and LIST WITHCODE give it back) and its functions in ordinal name order. Immutable; the engine's compiled
/// form is kept apart (<see cref="FunctionStore"/>), since it is not replicated state.
/// </summary>
internal sealed class FunctionLibrary(string name, byte[] code, IReadOnlyList<FunctionInfo> functions)
{
    /// <summary>The one engine Redis 7.0 has.</summary>
    public const string EngineName = "LUA";

    public string Name { get; } = name;

    public byte[] Code { get; } = code;

    public IReadOnlyList<FunctionInfo> Functions { get; } = functions.OrderBy(static f => f.Name, StringComparer.Ordinal).ToArray();
}
