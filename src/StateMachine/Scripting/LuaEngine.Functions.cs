using KeraLua;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Functions;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// Redis 7.0 functions in this Lua state (FunctionEnvironment.lua, set up on first use): FUNCTION LOAD runs a library's
/// code with the library API and keeps the callbacks it registers under a handle; FCALL calls one of them with the same
/// budget, determinism and reply conversion as a script. Loading is bounded by the same instruction and memory budget;
/// a spent budget is the timeout Redis reports for a load that takes too long. Memory is accounted as for scripts: a load
/// is prepared and followed by a full collection (as a compile), a call prepared only (as a run).
/// </summary>
internal sealed partial class LuaEngine
{
    private const string LibrariesKey = "raftkv.libraries";

    private int _functionsRef = -1;
    private int _nextLibrary;

    /// <summary>
    /// Runs a library's <paramref name="body"/> (its code from the shebang line's line feed on) in the load environment:
    /// its registrations, in registration order, kept until <see cref="ReleaseLibrary"/>; or null and Redis's message.
    /// </summary>
    public LoadedLibrary? LoadLibrary(byte[] body, out string? error)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        error = null;
        var top = _lua.GetTop();
        var previous = t_running;
        t_running = this;
        _instructions = 0;
        _pending = null;
        _killed = false;
        MemorySpent = false;
        Prepare();
        try
        {
            PushFunctionsField("load");
            _lua.PushBuffer(body);
            Arm();
            var status = _lua.PCall(1, 2, 0);
            Disarm();
            if (Spent)
            {
                error = "Error registering functions: ERR FUNCTION LOAD timeout";
                return null;
            }

            if (status != LuaStatus.OK || !_lua.ToBoolean(-2))
            {
                error = AsText(-1) ?? "Error registering functions: ERR failure";
                return null;
            }

            return KeepRegistrations();
        }
        finally
        {
            Disarm();
            _lua.SetTop(top);
            t_running = previous;
            Collect();
        }
    }

    /// <summary>Forgets the callbacks of a library loaded by <see cref="LoadLibrary"/>.</summary>
    public void ReleaseLibrary(LoadedLibrary library)
    {
        ArgumentNullException.ThrowIfNull(library);
        if (_disposed)
        {
            return;
        }

        var top = _lua.GetTop();
        PushLibrariesTable();
        _lua.PushNil();
        _lua.RawSetInteger(-2, library.Handle);
        _lua.SetTop(top);
    }

    /// <summary>
    /// Calls <paramref name="function"/> of <paramref name="library"/> with <paramref name="run"/>'s keys and arguments
    /// as its two parameters. Returns its reply, or null when its budget was spent (see <see cref="BudgetError"/>) or the
    /// run was suspended at the end of a slice (<see cref="IsSuspended"/>; <see cref="Continue"/> goes on).
    /// </summary>
    public Reply? CallFunction(LoadedLibrary library, string function, ScriptRun run)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(run);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var top = _lua.GetTop();
        var previous = t_running;
        t_running = this;
        _run = run;
        _instructions = 0;
        _pending = null;
        MemorySpent = false;
        Prepare();
        try
        {
            PushFunctionsField("call");
            PushLibrariesTable();
            _lua.RawGetInteger(-1, library.Handle);
            _lua.Remove(-2);
            _lua.PushString(function);
            if (_lua.Type(-2) != LuaType.Table || _lua.RawGet(-2) != LuaType.Function)
            {
                return Reply.Error("ERR Function not found");
            }

            return Invoke(run, function, "ERR Error running function " + function + ": ");
        }
        finally
        {
            Disarm();
            _lua.SetTop(top);
            if (!IsSuspended)
            {
                _run = null;
            }

            // A run that ended before it started (NOSCRIPT, no such function) must not leave the next one suspendable.
            Suspendable = false;
            t_running = previous;
        }
    }

    // The registrations table at the top of the stack (name, callback, flags, description per entry) becomes a table of
    // callbacks by name under a new handle; the metadata goes back to the caller.
    private LoadedLibrary KeepRegistrations()
    {
        var registrations = _lua.GetTop();
        var functions = new List<FunctionInfo>();
        _lua.NewTable();
        var callbacks = _lua.GetTop();
        for (var i = 1; _lua.RawGetInteger(registrations, i) == LuaType.Table; i++)
        {
            var entry = _lua.GetTop();
            var name = Field(entry, "name") ?? [];
            var description = Field(entry, "description");
            _lua.PushString("flags");
            _lua.RawGet(entry);
            var flags = (FunctionFlags)_lua.ToInteger(-1);
            _lua.Pop(1);
            _lua.PushBuffer(name);
            _lua.PushString("callback");
            _lua.RawGet(entry);
            _lua.RawSet(callbacks);
            functions.Add(new FunctionInfo(System.Text.Encoding.ASCII.GetString(name), description, flags));
            _lua.Pop(1);
        }

        _lua.Pop(1);
        var handle = ++_nextLibrary;
        PushLibrariesTable();
        _lua.PushCopy(callbacks);
        _lua.RawSetInteger(-2, handle);
        return new LoadedLibrary(functions, handle);
    }

    private byte[]? Field(int table, string name)
    {
        _lua.PushString(name);
        var type = _lua.RawGet(table);
        var value = type is LuaType.String or LuaType.Number ? _lua.ToBuffer(-1, false) : null;
        _lua.Pop(1);
        return value;
    }

    private void PushFunctionsField(string name)
    {
        if (_functionsRef < 0)
        {
            _functionsRef = LoadFunctionEnvironment();
        }

        _lua.RawGetInteger(LuaRegistry.Index, _functionsRef);
        _lua.PushString(name);
        _lua.RawGet(-2);
        _lua.Remove(-2);
    }

    private void PushLibrariesTable()
    {
        _lua.PushString(LibrariesKey);
        if (_lua.RawGet(LuaRegistry.Index) == LuaType.Table)
        {
            return;
        }

        _lua.Pop(1);
        _lua.NewTable();
        _lua.PushString(LibrariesKey);
        _lua.PushCopy(-2);
        _lua.RawSet(LuaRegistry.Index);
    }

    private int LoadFunctionEnvironment()
    {
        using var stream = typeof(LuaEngine).Assembly.GetManifestResourceStream("RaftKV.StateMachine.Scripting.FunctionEnvironment.lua")
                           ?? throw new InvalidOperationException("The function environment resource is missing.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        // Named as the script environment's chunk: the budget hook never raises a pending redis.call error in its frames.
        if (_lua.LoadBuffer(memory.ToArray(), "=environment") != LuaStatus.OK)
        {
            throw new InvalidOperationException("The function environment does not compile: " + AsText(-1));
        }

        PushEngineField("internals");
        if (_lua.PCall(1, 1, 0) != LuaStatus.OK)
        {
            throw new InvalidOperationException("The function environment failed to load: " + AsText(-1));
        }

        return _lua.Ref(LuaRegistry.Index);
    }
}
