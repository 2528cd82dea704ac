using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Scripting;

namespace RaftKV.StateMachine.Functions;

/// <summary>
/// What <see cref="FunctionStore"/> needs of a script engine: run a library's code in the load environment (where only
/// redis.register_function and a restricted API exist) and call a registered function. Runs at apply on every
/// replica, so it must be deterministic: the same body registers the same functions, with the same errors, everywhere.
/// Not thread-safe: the store calls it under its own lock.
/// </summary>
internal interface IFunctionEngine : IDisposable
{
    /// <summary>
    /// Runs <paramref name="body"/> (a library's code from its shebang line's line feed on). Returns its registrations
    /// in registration order, held by the engine until <see cref="Release"/>; or null and Redis's message
    /// ("Error compiling function: ...", "Error registering functions: ...").
    /// </summary>
    LoadedLibrary? Load(byte[] body, out string? error);

    /// <summary>Forgets a library's compiled functions.</summary>
    void Release(LoadedLibrary library);

    /// <summary>
    /// Calls <paramref name="function"/> of <paramref name="library"/> with <paramref name="run"/>'s keys and arguments
    /// (its two parameters). Returns its reply, or null when its budget (instructions or memory) was spent: the caller
    /// rolls its effects back and answers <see cref="BudgetError"/>.
    /// </summary>
    Reply? Call(LoadedLibrary library, string function, ScriptRun run);

    /// <summary>Whether the next <see cref="Call"/> may be suspended at the end of a slice (see LuaEngine.Slices.cs).</summary>
    bool Suspendable { get; set; }

    /// <summary>True while a call is suspended at the end of a slice: <see cref="Continue"/> goes on with it.</summary>
    bool IsSuspended { get; }

    /// <summary>Runs the suspended call's next slice, or kills it; returns as <see cref="Call"/> does.</summary>
    Reply? Continue(bool kill);

    /// <summary>The error a function whose budget was spent (or that was killed) answers.</summary>
    string BudgetError { get; }

    /// <summary>Bytes the engine holds.</summary>
    long UsedMemory { get; }
}
