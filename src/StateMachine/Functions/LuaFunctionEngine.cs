using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Scripting;

namespace RaftKV.StateMachine.Functions;

/// <summary>The Lua engine of functions: a Lua state of its own (<see cref="LuaEngine"/>), apart from EVAL's, as Redis keeps one.</summary>
internal sealed class LuaFunctionEngine : IFunctionEngine
{
    private readonly LuaEngine _lua = new();

    public string BudgetError => _lua.BudgetError;

    public long UsedMemory => _lua.UsedMemory;

    public bool Suspendable
    {
        get => _lua.Suspendable;
        set => _lua.Suspendable = value;
    }

    public bool IsSuspended => _lua.IsSuspended;

    public Reply? Continue(bool kill) => _lua.Continue(kill);

    public LoadedLibrary? Load(byte[] body, out string? error) => _lua.LoadLibrary(body, out error);

    public void Release(LoadedLibrary library) => _lua.ReleaseLibrary(library);

    public Reply? Call(LoadedLibrary library, string function, ScriptRun run) => _lua.CallFunction(library, function, run);

    public void Dispose() => _lua.Dispose();
}
