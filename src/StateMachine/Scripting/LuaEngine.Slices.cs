using System.Runtime.InteropServices;
using KeraLua;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// Runs in slices. Every script or function call runs in a coroutine of its own. A run started
/// <see cref="Suspendable"/> (a script applied from the log, not inside MULTI, not a read) is suspended once it has run
/// <see cref="SliceInstructions"/> more instructions than at its last suspension, counted by the budget hook, so every
/// replica suspends it at the same instruction: the budget hook (a Lua function, which cannot yield) installs a C hook
/// for the next instruction, and that C hook yields the coroutine when it can (not while the script is inside a call
/// made from C, e.g. a table.sort comparator, nor inside a coroutine of the script's own; then at a later step: the
/// same step on every replica). The store keeps the suspended run and its effects so far; <see cref="Continue"/> runs
/// the next slice, or kills the run, as the log decides.
/// </summary>
internal sealed partial class LuaEngine
{
    /// <summary>Instructions a suspendable run executes between two suspensions (tens of milliseconds of Lua: a decision entry costs a commit).</summary>
    public const long SliceInstructions = 5_000_000;

    /// <summary>What a killed run answers (Redis's words).</summary>
    public const string KilledError = "ERR Script killed by user with SCRIPT KILL...";

    private static readonly LuaNative.Hook YieldHook = OnYieldHook;
    private static readonly IntPtr YieldHookPointer = Marshal.GetFunctionPointerForDelegate(YieldHook);

    private Lua? _thread;
    private int _threadRef;
    private string _runName = "";
    private string _failurePrefix = "";
    private IntPtr _luaHook;
    private long _sliceEnd;
    private bool _suspendable;
    private bool _suspended;
    private bool _killed;

    /// <summary>Whether the next run (Run, CallFunction) may be suspended at the end of a slice; cleared when it starts.</summary>
    public bool Suspendable { get; set; }

    /// <summary>True while a run is suspended at the end of a slice (<see cref="Continue"/> goes on with it).</summary>
    public bool IsSuspended => _suspended;

    private Reply? Start(Lua thread, int threadRef, string name, string failurePrefix)
    {
        _thread = thread;
        _threadRef = threadRef;
        _runName = name;
        _failurePrefix = failurePrefix;
        _suspendable = Suspendable;
        Suspendable = false;
        _killed = false;
        _suspended = false;
        _sliceEnd = SliceInstructions;
        return Step(3, rearm: true);
    }

    /// <summary>
    /// Goes on with the suspended run for one more slice, or (<paramref name="kill"/>) makes it raise
    /// <see cref="KilledError"/> at its next instruction, where pcall cannot catch it (as a spent budget). Returns as
    /// Run does: the reply, or null when the run was suspended again (<see cref="IsSuspended"/>) or its budget was
    /// spent or it was killed (<see cref="BudgetError"/>).
    /// </summary>
    public Reply? Continue(bool kill)
    {
        if (!_suspended || _thread is not { } thread)
        {
            throw new InvalidOperationException("No script run is suspended.");
        }

        var previous = t_running;
        t_running = this;
        try
        {
            if (kill)
            {
                _killed = true;
                LuaNative.SetHook(thread.Handle, _luaHook, LuaNative.MaskCount, 1);
            }

            return Step(0, rearm: false);
        }
        finally
        {
            Disarm();
            if (!IsSuspended)
            {
                _run = null;
            }

            t_running = previous;
        }
    }

    private unsafe Reply? Step(int arguments, bool rearm)
    {
        var thread = _thread!;
        _account->MainState = thread.Handle;
        _suspended = false;
        if (rearm)
        {
            Arm();
        }
        else
        {
            // Goes on where the slice ended: the memory account's requests and limits are the run's, unchanged.
            _account->Armed = 1;
        }

        var status = thread.Resume(_lua, arguments, out _);
        Disarm();
        if (status == LuaStatus.Yield)
        {
            _suspended = true;
            _account->MainState = _lua.Handle;
            return null;
        }

        try
        {
            if (Spent)
            {
                return null;
            }

            if (status != LuaStatus.OK)
            {
                return Reply.Error(_failurePrefix + (AsText(thread, -1) ?? "execution failure"));
            }

            return thread.ToBoolean(-2)
                ? LuaReplies.ToReply(thread, -1, _run!.Resp)
                : LuaReplies.ScriptError(thread, -1, _runName);
        }
        finally
        {
            _lua.Unref(LuaRegistry.Index, _threadRef);
            _thread = null;
            _account->MainState = _lua.Handle;
        }
    }

    /// <summary>
    /// The budget hook's slice check (from Poll, on the thread the hook runs on): at the end of a slice of a suspendable
    /// run, on the run's own coroutine, the C hook takes over for the next instruction.
    /// </summary>
    private void RequestYield(Lua lua)
    {
        if (!_suspendable || _instructions < _sliceEnd || _thread is not { } thread || lua.Handle != thread.Handle)
        {
            return;
        }

        var hook = LuaNative.GetHook(lua.Handle);
        if (hook != YieldHookPointer)
        {
            _luaHook = hook;
        }

        LuaNative.SetHook(lua.Handle, YieldHookPointer, LuaNative.MaskCount, 1);
    }

    // Gives the thread back to the Lua budget hook (at once when a redis.call error waits to be raised), then yields it
    // if it can; otherwise the next budget step asks again. Never raises (a Lua error must not cross a .NET frame):
    // lua_yieldk called from a count hook returns here, and the VM yields once the hook has returned.
    private static void OnYieldHook(IntPtr state, IntPtr debug)
    {
        if (t_running is not { } engine)
        {
            return;
        }

        var pending = engine._pending is not null;
        LuaNative.SetHook(state, engine._luaHook, LuaNative.MaskCount, pending ? 1 : HookStep);
        if (!pending && LuaNative.IsYieldable(state) != 0)
        {
            engine._sliceEnd = engine._instructions + SliceInstructions;
            LuaNative.YieldK(state, 0, IntPtr.Zero, IntPtr.Zero);
        }
    }

    private static string? AsText(Lua lua, int index) =>
        lua.Type(index) == LuaType.String ? System.Text.Encoding.UTF8.GetString(lua.ToBuffer(index, false)) : null;
}
