using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Scripting;

namespace RaftKV.StateMachine.Functions;

/// <summary>
/// FCALL and FCALL_RO: <c>name numkeys key... arg...</c>, checked in Redis's order (the function, then numkeys, then
/// its flags against the command), then run through the script host, which gives the run its redis.call dispatch,
/// read-only checks and undo journal exactly as for EVAL.
/// </summary>
internal static class FunctionCall
{
    /// <summary>Runs a function body with keys, arguments and read-only mode in <paramref name="engine"/>; answers the reply (the engine's budget error when it returns null).</summary>
    public delegate Reply Runner(byte[][] keys, byte[][] arguments, bool readOnly, IFunctionEngine engine, Func<ScriptRun, Reply?> body);

    /// <param name="readOnlyCommand">FCALL_RO, or any FCALL served as a read: the function must declare no-writes.</param>
    public static Reply Execute(FunctionStore store, byte[][] args, bool readOnlyCommand, Runner runner)
    {
        lock (store.Gate)
        {
            if (store.Current.FindFunction(Encoding.UTF8.GetString(args[0])) is not { } found)
                return Reply.Error("ERR Function not found");
            if (!Numbers.RedisIntegers.TryParse(args[1], out var numkeys))
                return Reply.Error("ERR Bad number of keys provided");
            if (numkeys > args.Length - 2)
                return Reply.Error("ERR Number of keys can't be greater than number of args");
            if (numkeys < 0)
                return Reply.Error("ERR Number of keys can't be negative");
            var noWrites = (found.Function.Flags & FunctionFlags.NoWrites) != 0;
            if (readOnlyCommand && !noWrites)
                return Reply.Error("ERR Can not execute a script with write flag using *_ro command.");
            if (store.Compiled(found.Library, out var error) is not { } compiled)
                return Reply.Error("ERR Error loading library " + found.Library.Name + ": " + error);
            var engine = store.Engine;
            var name = found.Function.Name;
            var keyCount = (int)numkeys;
            return runner(args[2..(2 + keyCount)], args[(2 + keyCount)..], readOnlyCommand || noWrites, engine,
                run => engine.Call(compiled, name, run));
        }
    }
}
