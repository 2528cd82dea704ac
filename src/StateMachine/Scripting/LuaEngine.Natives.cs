using KeraLua;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The native functions ScriptEnvironment.lua drives (its <c>native</c> table). Each one runs inside Lua's API, called
/// from Lua: it never raises a Lua error (no lua_error, no luaL_check*, no API that can raise; memory cannot be refused
/// meanwhile) and never lets a .NET exception reach native code; a failure is returned as a value that the Lua wrapper
/// raises.
/// </summary>
internal sealed partial class LuaEngine
{
    private const string RedisVersion = "7.0.15";
    private const int RedisVersionNum = 0x07000f;

    private static readonly LuaFunction CallNative = state => Dispatch(state, static (engine, lua) => engine.Call(lua, raise: true));
    private static readonly LuaFunction PcallNative = state => Dispatch(state, static (engine, lua) => engine.Call(lua, raise: false));
    private static readonly LuaFunction CollectedNative = state => Dispatch(state, static (engine, _) =>
    {
        engine.Collected();
        return 0;
    });

    private static readonly LuaFunction TakePendingNative = state => Dispatch(state, static (engine, lua) => engine.PushPending(lua) ? 1 : 0);
    private static readonly LuaFunction CheckCommandNative = state => Dispatch(state, static (engine, lua) => engine.CheckCommand(lua));
    private static readonly LuaFunction KeysNative = state => Dispatch(state, static (_, lua) => CanonicalKeys.Push(lua));
    private static readonly LuaFunction PollNative = state => Dispatch(state, static (engine, lua) => engine.Poll(lua));
    private static readonly LuaFunction BudgetErrorNative = state => Dispatch(state, static (engine, lua) =>
    {
        lua.PushString(engine.BudgetError);
        return 1;
    });

    private static readonly LuaFunction RandomNative = state => Dispatch(state, static (engine, lua) =>
    {
        lua.PushNumber(engine._run?.Random.NextDouble() ?? 0);
        return 1;
    });

    private static readonly LuaFunction RandomSeedNative = state => Dispatch(state, static (engine, lua) =>
    {
        var seed = lua.IsInteger(1) ? lua.ToInteger(1) : (long)lua.ToNumber(1);
        engine._run?.Random.Seed(seed);
        return 0;
    });

    private static readonly LuaFunction SetRespNative = state => Dispatch(state, static (engine, lua) =>
    {
        if (engine._run is { } run)
        {
            run.Resp = (int)lua.ToInteger(1);
        }

        return 0;
    });

    private static readonly LuaFunction Sha1HexNative = state => Dispatch(state, static (_, lua) =>
    {
        var text = lua.Type(1) == LuaType.String ? lua.ToBuffer(1, false) : [];
        lua.PushString(Sha1Hex.Of(text));
        return 1;
    });

    // The one call site for the script libraries (cjson, bit, struct, cmsgpack, 5.1 shims) provided as Lua sources:
    // a flat array of name, source pairs that ScriptEnvironment.lua loads before it protects the globals.
    private static readonly LuaFunction LibrariesNative = state => Dispatch(state, static (_, lua) =>
    {
        var libraries = ScriptLibrarySources.All();
        lua.CreateTable(libraries.Count * 2, 0);
        for (var i = 0; i < libraries.Count; i++)
        {
            lua.PushString(libraries[i].Name);
            lua.RawSetInteger(-2, 2 * i + 1);
            lua.PushBuffer(libraries[i].Source);
            lua.RawSetInteger(-2, 2 * i + 2);
        }

        return 1;
    });

    private void PushNatives()
    {
        _lua.CreateTable(0, 16);
        SetNative("call", CallNative);
        SetNative("pcall", PcallNative);
        SetNative("take_pending", TakePendingNative);
        SetNative("collected", CollectedNative);
        SetNative("check_command", CheckCommandNative);
        SetNative("keys", KeysNative);
        SetNative("poll", PollNative);
        SetNative("budget_error", BudgetErrorNative);
        SetNative("random", RandomNative);
        SetNative("randomseed", RandomSeedNative);
        SetNative("setresp", SetRespNative);
        SetNative("sha1hex", Sha1HexNative);
        SetNative("libraries", LibrariesNative);
        _lua.PushString("step");
        _lua.PushInteger(HookStep);
        _lua.RawSet(-3);
        _lua.PushString("version");
        _lua.PushString(RedisVersion);
        _lua.RawSet(-3);
        _lua.PushString("version_num");
        _lua.PushInteger(RedisVersionNum);
        _lua.RawSet(-3);
    }

    private void SetNative(string name, LuaFunction function)
    {
        _lua.PushString(name);
        _lua.PushCFunction(function);
        _lua.RawSet(-3);
    }

    // Runs a native function for the engine whose script is running on this thread, with memory never refused, and
    // turns any .NET exception into Redis's error table (never an exception through native code).
    private static int Dispatch(IntPtr state, Func<LuaEngine, Lua, int> body)
    {
        if (t_running is not { } engine)
        {
            return 0;
        }

        var armed = engine.Suspend();
        try
        {
            var lua = Lua.FromIntPtr(state);
            try
            {
                return body(engine, lua);
            }
            catch (Exception)
            {
                // A bug here must not unwind into Lua's C frames: the caller gets an error table instead.
                lua.SetTop(0);
                lua.CreateTable(0, 1);
                lua.PushString("err");
                lua.PushString("ERR internal error in a script call");
                lua.RawSet(-3);
                return 1;
            }
        }
        finally
        {
            engine.Resume(armed);
        }
    }

    // The budget hook's check: 1 when the budget is spent, 2 when a full collection is due, 3 when a redis.call failed
    // and its error waits to be raised (take_pending gives it), else 0.
    private unsafe int Poll(Lua lua)
    {
        if (_pending is not null && !Spent)
        {
            lua.PushInteger(3);
            return 1;
        }

        if (_account->CollectRequested == 1)
        {
            _account->CollectRequested = 2;
            LuaNative.SetHook(_account->MainState, LuaNative.GetHook(_account->MainState), LuaNative.MaskCount, HookStep);
            lua.PushInteger(2);
            return 1;
        }

        if (_account->CollectRequested == 2)
        {
            Collected();
        }

        _instructions += HookStep;
        if (!Spent)
        {
            RequestYield(lua);
        }

        lua.PushInteger(Spent ? 1 : 0);
        return 1;
    }

    /// <summary>
    /// redis.call (<paramref name="raise"/>) and redis.pcall: the reply as a Lua value, or Redis's error table. redis.call
    /// is this native function itself, so that <c>return redis.call(...)</c> (a tail call) keeps the script's frame, and
    /// its error is raised by the hook at the caller's next instruction (a native function cannot raise): the error
    /// records the script line of the call, and pcall, xpcall, coroutines and the run itself take an error still
    /// pending when their function returns first.
    /// </summary>
    private int Call(Lua lua, bool raise)
    {
        var count = lua.GetTop();
        if (_killed)
        {
            // Killed: nothing more runs; the budget hook raises the kill at the next instruction.
            lua.SetTop(0);
            RaiseLater(lua, KilledError);
            return 0;
        }

        // An error the command answered (or refused it with) counts in errorstats where it arose, as Redis's scriptCall
        // counts it; its table says so (ignore_error_stats_update), so that the script's reply does not count it again.
        // The errors of the call's own checks just below do not count until the script's reply carries them.
        var counted = false;
        Reply reply;
        if (count == 0)
            reply = Reply.Error("ERR Please specify at least one argument for this redis lib call");
        else if (!TryArguments(lua, count, out var arguments))
            reply = Reply.Error("ERR Lua redis lib command arguments must be strings or integers");
        else if (_run is not { } run)
            reply = Reply.Error("ERR redis.call/pcall can only be called inside a script invocation");
        else
            (reply, counted) = (run.Call(arguments), true);
        lua.SetTop(0);
        if (reply is ErrorReply error)
        {
            if (raise)
            {
                RaiseLater(lua, error.Message, counted);
                return 0;
            }

            PushErrorTable(lua, error.Message, null, 0, counted);
            return 1;
        }

        if (!lua.CheckStack(LuaReplies.MaxDepth * 2 + 8))
        {
            if (raise)
            {
                RaiseLater(lua, "ERR reached lua stack limit");
                return 0;
            }

            PushErrorTable(lua, "ERR reached lua stack limit", null, 0, false);
            return 1;
        }

        LuaReplies.Push(lua, reply, _run!.Resp);
        return 1;
    }

    private PendingError? _pending;

    private sealed record PendingError(string Message, string? Source, long Line, bool Counted);

    // Records the error with the script line that called, and has this thread's hook fire at its next instruction.
    private void RaiseLater(Lua lua, string message, bool counted = false)
    {
        string? source = null;
        long line = 0;
        var debug = new LuaDebug();
        for (var level = 1; level < 64 && lua.GetStack(level, ref debug) == 1; level++)
        {
            if (lua.GetInfo("Sl", ref debug) && debug.Source is "@user_script" or "@user_function")
            {
                source = debug.Source;
                line = debug.CurrentLine;
                break;
            }
        }

        _pending = new PendingError(message, source, line, counted);
        var hook = LuaNative.GetHook(lua.Handle);
        if (hook != IntPtr.Zero)
        {
            LuaNative.SetHook(lua.Handle, hook, LuaNative.MaskCount, 1);
        }
    }

    /// <summary>Pushes the pending redis.call error as Redis's error table and clears it; false when there is none.</summary>
    private bool PushPending(Lua lua)
    {
        if (_pending is not { } pending)
        {
            return false;
        }

        _pending = null;
        PushErrorTable(lua, pending.Message, pending.Source, pending.Line, pending.Counted);
        return true;
    }

    // Redis's luaPushError: {err = "CODE message"} (the message already carries its code), with where it was raised,
    // and ignore_error_stats_update = true when errorstats already counted it.
    private static void PushErrorTable(Lua lua, string message, string? source, long line, bool counted)
    {
        lua.CreateTable(0, 4);
        lua.PushString("err");
        lua.PushBuffer(System.Text.Encoding.UTF8.GetBytes(message.TrimEnd('\r', '\n')));
        lua.RawSet(-3);
        if (source is not null)
        {
            lua.PushString("source");
            lua.PushString(source);
            lua.RawSet(-3);
            lua.PushString("line");
            lua.PushInteger(line);
            lua.RawSet(-3);
        }

        if (counted)
        {
            lua.PushString(LuaReplies.CountedField);
            lua.PushBoolean(true);
            lua.RawSet(-3);
        }
    }

    /// <summary>redis.acl_check_cmd: whether the script's user (<see cref="ScriptRun.User"/>; none: every command) may run the command.</summary>
    private int CheckCommand(Lua lua)
    {
        if (!TryArguments(lua, lua.GetTop(), out var arguments))
        {
            return PushError(lua, "ERR Lua redis lib command arguments must be strings or integers");
        }

        if (!CommandTable.TryGet(arguments[0], out var spec) || !spec.AcceptsArgumentCount(arguments.Length))
        {
            return PushError(lua, "ERR Invalid command passed to redis.acl_check_cmd()");
        }

        lua.PushBoolean(true);
        lua.PushBoolean(_run?.User is not { } user || Acl.AclScriptCheck.Refusal(user, spec, arguments) is null);
        return 2;
    }

    private static bool TryArguments(Lua lua, int count, out byte[][] arguments)
    {
        arguments = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            switch (lua.Type(i + 1))
            {
                case LuaType.Number:
                    arguments[i] = LuaReplies.FormatNumber(lua, i + 1);
                    break;
                case LuaType.String:
                    arguments[i] = lua.ToBuffer(i + 1, false);
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    // Redis's luaPushError: false and {err = "CODE message"} (the message already carries its code).
    private static int PushError(Lua lua, string message)
    {
        lua.SetTop(0);
        lua.PushBoolean(false);
        lua.CreateTable(0, 1);
        lua.PushString("err");
        lua.PushBuffer(System.Text.Encoding.UTF8.GetBytes(message.TrimEnd('\r', '\n')));
        lua.RawSet(-3);
        return 2;
    }
}
