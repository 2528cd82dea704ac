using System.Runtime.InteropServices;
using KeraLua;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// One Lua 5.4 state (KeraLua) running scripts for one <see cref="KeyValueStore"/>, created on first use and reused,
/// as Redis keeps one; thrown away on SCRIPT FLUSH and with the store (snapshot install). Scripts run at apply on every
/// replica, so the environment has no source of difference between processes (ScriptEnvironment.lua: canonical
/// pairs/next order, entry-seeded math.random, no addresses in tostring, no clock but the entry's time).
/// <para>
/// Bounded and deterministic: an instruction budget (<see cref="InstructionBudget"/>, counted every
/// <see cref="HookStep"/> instructions by a Lua hook) and a memory limit (<see cref="MemoryLimit"/> bytes live above the
/// state's size when the run began). The collector is stopped while a script runs (so its timing is never visible) and
/// collects fully only at points every replica shares (<see cref="Prepare"/>, <see cref="Collected"/>); an allocation
/// that would pass the limit is refused and spends the budget. A spent budget raises in every following hook call, so
/// pcall cannot swallow it; the store then rolls the script's writes back.
/// </para>
/// <para>
/// Never a Lua error across a .NET frame (fatal on Linux): the native functions here never call lua_error or a
/// raising API; they return a marker that a Lua wrapper turns into an error. The allocator refuses memory only while
/// Lua code runs, never while a native function is inside Lua's API (pushing a reply cannot fail).
/// </para>
/// Not thread-safe: the store runs one script at a time.
/// </summary>
internal sealed partial class LuaEngine : IDisposable
{
    /// <summary>Instructions a script may run (about a second of Lua).</summary>
    public const long InstructionBudget = 100_000_000;

    /// <summary>Instructions between budget checks.</summary>
    public const int HookStep = 10_000;

    /// <summary>Bytes a script may hold live above the state's own.</summary>
    public const long MemoryLimit = 64L * 1024 * 1024;

    private static readonly LuaAlloc Allocator = Allocate;

    [ThreadStatic]
    private static LuaEngine? t_running;

    private readonly Lua _lua;
    private readonly unsafe MemoryAccount* _account;
    private readonly int _engineRef;
    private long _instructions;
    private ScriptRun? _run;
    private bool _disposed;

    public unsafe LuaEngine()
    {
        _account = (MemoryAccount*)NativeMemory.AllocZeroed((nuint)sizeof(MemoryAccount));
        _account->LimitAt = long.MaxValue;
        _account->CollectAt = long.MaxValue;
        _lua = new Lua(Allocator, (IntPtr)_account);
        _account->MainState = _lua.Handle;
        _lua.OpenLibs();
        _lua.GarbageCollector(LuaGC.Stop, 0);
        _engineRef = LoadEnvironment();
        Collect();
    }

    /// <summary>Bytes the Lua state holds now.</summary>
    public unsafe long UsedMemory => _account->Live;

    private unsafe bool MemorySpent
    {
        get => _account->Spent != 0;
        set => _account->Spent = value ? 1 : 0;
    }

    /// <summary>
    /// Compiles <paramref name="body"/> (a script without its shebang line) in the protected environment: null on
    /// success (the function is kept under <paramref name="sha"/> for <see cref="Run"/>), otherwise Lua's message.
    /// </summary>
    public string? Compile(string sha, byte[] body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var top = _lua.GetTop();
        Prepare();
        try
        {
            PushEngineField("compile");
            _lua.PushBuffer(body);
            Arm();
            var status = _lua.PCall(1, 2, 0);
            Disarm();
            if (status != LuaStatus.OK)
            {
                return MemorySpent ? "not enough memory" : AsText(-1) ?? "compilation failed";
            }

            if (_lua.Type(-2) != LuaType.Function)
            {
                return AsText(-1) ?? "compilation failed";
            }

            PushCompiledTable();
            _lua.PushString(sha);
            _lua.PushCopy(-4);
            _lua.RawSet(-3);
            return null;
        }
        finally
        {
            Disarm();
            _lua.SetTop(top);
            Collect();
        }
    }

    /// <summary>True when <paramref name="sha"/> has been compiled in this state.</summary>
    public bool IsCompiled(string sha)
    {
        var top = _lua.GetTop();
        PushCompiledTable();
        _lua.PushString(sha);
        var found = _lua.RawGet(-2) == LuaType.Function;
        _lua.SetTop(top);
        return found;
    }

    /// <summary>
    /// Runs the compiled script <paramref name="sha"/> (see <see cref="Compile"/>) with <paramref name="run"/>'s keys,
    /// arguments and command dispatch. Returns its reply, or null when its budget (instructions or memory) was spent:
    /// the caller rolls its effects back and answers <see cref="BudgetError"/>.
    /// </summary>
    public Reply? Run(string sha, ScriptRun run)
    {
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
            PushEngineField("run");
            PushCompiledTable();
            _lua.PushString(sha);
            if (_lua.RawGet(-2) != LuaType.Function)
            {
                return Reply.Error("NOSCRIPT No matching script. Please use EVAL.");
            }

            return Invoke(run, sha, "ERR Error running script (call to f_" + sha + "): ");
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

    /// <summary>
    /// Calls the engine's runner with the function under it on the stack (runner, holder, function: the holder is
    /// dropped) and <paramref name="run"/>'s keys and arguments, in a coroutine of its own (see LuaEngine.Slices.cs);
    /// shared by scripts and functions. Returns the reply, or null when the budget was spent or the run was suspended
    /// at the end of a slice (<see cref="IsSuspended"/>). <paramref name="name"/> names the script or function in its errors.
    /// </summary>
    private Reply? Invoke(ScriptRun run, string name, string failurePrefix)
    {
        _lua.Remove(-2);
        var thread = _lua.NewThread();
        _lua.Insert(-3);
        _lua.XMove(thread, 2);
        PushArray(thread, run.Keys);
        PushArray(thread, run.Arguments);
        var threadRef = _lua.Ref(LuaRegistry.Index);
        return Start(thread, threadRef, name, failurePrefix);
    }
    /// <summary>The error a script whose budget was spent answers (its writes are rolled back).</summary>
    public string BudgetError => _killed ? KilledError
        : MemorySpent
        ? $"ERR Script exceeded the memory limit of {MemoryLimit / (1024 * 1024)} MiB; its writes were rolled back"
        : $"ERR Script exceeded the budget of {InstructionBudget} instructions; its writes were rolled back";

    private bool Spent => _killed || MemorySpent || _instructions >= InstructionBudget;

    public unsafe void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _lua.Dispose();
        NativeMemory.Free(_account);
    }

    private unsafe void Arm()
    {
        _account->CollectRequested = 0;
        _account->Spent = 0;
        _account->Armed = 1;
    }

    private unsafe void Disarm() => _account->Armed = 0;

    /// <summary>Refuses nothing while a native function is inside Lua's API; returns whether it was armed.</summary>
    private unsafe bool Suspend()
    {
        var armed = _account->Armed != 0;
        _account->Armed = 0;
        return armed;
    }

    private unsafe void Resume(bool armed) => _account->Armed = armed ? 1 : 0;

    // A full collection outside any run (at creation, after a compile, when garbage piled up): what the state holds
    // then is its own size (_collectedLive), the same on every replica that compiled the same scripts.
    private unsafe void Collect()
    {
        _account->Armed = 0;
        _lua.GarbageCollector(LuaGC.Collect, 0);
        _lua.GarbageCollector(LuaGC.Stop, 0);
        _collectedLive = _account->Live;
        _account->CollectRequested = 0;
    }

    /// <summary>
    /// Before a run or compile: collects once earlier runs left more garbage than the state's live size, and at least
    /// <see cref="GarbageBeforeCollect"/> bytes (Lua's own pace: a cycle when the state doubled; a full collection costs
    /// about the state's size, so not after every run), then allows the script
    /// <see cref="MemoryLimit"/> bytes above what is live now. The collector stays stopped, so what the script allocates
    /// and frees until a collection is its own; the garbage of earlier runs (which differs between replicas, e.g. by
    /// EVAL_RO on the leader) is never counted against it.
    /// </summary>
    private unsafe void Prepare()
    {
        if (_account->Live - _collectedLive > Math.Max(GarbageBeforeCollect, _collectedLive))
        {
            Collect();
        }

        _account->LimitAt = _account->Live + MemoryLimit;
        _account->CollectAt = _account->Live + MemoryLimit / 2;
        _account->CollectRequested = 0;
    }

    /// <summary>
    /// After a full collection inside a run (asked for half way to the limit, or by collectgarbage()): what is live is
    /// the state's own size and what the script still holds, so the limit counts from the state's size from now on;
    /// the next collection half way from what is live to the limit, unless less than <see cref="MinimumRoom"/> is left.
    /// </summary>
    private unsafe void Collected()
    {
        _account->LimitAt = _collectedLive + MemoryLimit;
        var room = _account->LimitAt - _account->Live;
        _account->CollectAt = room < MinimumRoom ? long.MaxValue : _account->Live + room / 2;
        _account->CollectRequested = 0;
    }

    // Small enough that INFO's used_memory_lua stays near the state's size, as Redis's collector keeps it.
    private const long GarbageBeforeCollect = 48 * 1024;

    private long _collectedLive;

    private const long MinimumRoom = 1024 * 1024;

    private string? AsText(int index) =>
        _lua.Type(index) == LuaType.String ? System.Text.Encoding.UTF8.GetString(_lua.ToBuffer(index, false)) : null;

    private void PushEngineField(string name)
    {
        _lua.RawGetInteger(LuaRegistry.Index, _engineRef);
        _lua.PushString(name);
        _lua.RawGet(-2);
        _lua.Remove(-2);
    }

    // The compiled scripts by sha, in a registry table (functions cannot leave the Lua state).
    private void PushCompiledTable()
    {
        _lua.PushString(CompiledKey);
        if (_lua.RawGet(LuaRegistry.Index) == LuaType.Table)
        {
            return;
        }

        _lua.Pop(1);
        _lua.NewTable();
        _lua.PushString(CompiledKey);
        _lua.PushCopy(-2);
        _lua.RawSet(LuaRegistry.Index);
    }

    private const string CompiledKey = "raftkv.compiled";

    private static void PushArray(Lua lua, byte[][] items)
    {
        lua.CreateTable(items.Length, 0);
        for (var i = 0; i < items.Length; i++)
        {
            lua.PushBuffer(items[i]);
            lua.RawSetInteger(-2, i + 1);
        }
    }

    private int LoadEnvironment()
    {
        using var stream = typeof(LuaEngine).Assembly.GetManifestResourceStream("RaftKV.StateMachine.Scripting.ScriptEnvironment.lua")
                           ?? throw new InvalidOperationException("The script environment resource is missing.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        if (_lua.LoadBuffer(memory.ToArray(), "=environment") != LuaStatus.OK)
        {
            throw new InvalidOperationException("The script environment does not compile: " + AsText(-1));
        }

        PushNatives();
        var previous = t_running;
        t_running = this;
        try
        {
            if (_lua.PCall(1, 1, 0) != LuaStatus.OK)
            {
                throw new InvalidOperationException("The script environment failed to load: " + AsText(-1));
            }
        }
        finally
        {
            t_running = previous;
        }

        return _lua.Ref(LuaRegistry.Index);
    }

    // Lua calls this for every (re)allocation and free, also from KeraLua's finalizer when an engine was never disposed:
    // hence a native account rather than a handle to this object (an undisposed engine leaks only that account).
    private static unsafe IntPtr Allocate(IntPtr ud, IntPtr ptr, UIntPtr osize, UIntPtr nsize)
    {
        var account = (MemoryAccount*)ud;
        var old = ptr == IntPtr.Zero ? 0L : (long)(ulong)osize;
        if (nsize == 0)
        {
            if (ptr != IntPtr.Zero)
            {
                NativeMemory.Free((void*)ptr);
                account->Live -= old;
            }

            return IntPtr.Zero;
        }

        var growth = (long)(ulong)nsize - old;
        if (growth > 0 && account->Armed != 0)
        {
            if (account->Spent != 0 || account->Live + growth > account->LimitAt)
            {
                // The collector is stopped while a script runs, so what is live here is what the script made: the same
                // on every replica. Refused once, the budget is spent (Lua's own retry after its emergency collection
                // is refused too, so the outcome never depends on what that collection found).
                account->Spent = 1;
                return IntPtr.Zero;
            }

            if (account->Live + growth > account->CollectAt && account->CollectRequested == 0)
            {
                // Half way to the limit: ask for a full collection at the next instruction of the running thread (lua_sethook
                // may be called at any point, as from a signal handler); poll() runs it, at a point every replica shares.
                account->CollectRequested = 1;
                var hook = LuaNative.GetHook(account->MainState);
                if (hook != IntPtr.Zero)
                {
                    LuaNative.SetHook(account->MainState, hook, LuaNative.MaskCount, 1);
                }
            }
        }

        var block = (IntPtr)NativeMemory.Realloc((void*)ptr, nsize);
        if (block != IntPtr.Zero)
        {
            account->Live += growth;
        }

        return block;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryAccount
    {
        public long Live;
        public long LimitAt;
        public long CollectAt;
        public IntPtr MainState;
        public int Armed;
        public int Spent;
        public int CollectRequested;
    }
}
