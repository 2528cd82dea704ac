using RaftKV.StateMachine.Scripting;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Functions;

namespace RaftKV.StateMachine;

/// <summary>The store's script cache and function libraries, as the node reads them (INFO, EVALSHA's check, FUNCTION).</summary>
public sealed partial class KeyValueStore
{
    internal Scripting.ScriptHost Scripts => _scripts;

    /// <summary>
    /// Whether a script (EVAL, EVALSHA, FCALL and their read-only forms) run on the calling thread since
    /// <see cref="ClearScriptCalledRead"/> called a read-only command: a tracking client remembers the script's declared
    /// keys only then, as in Redis. The node's client tracking only: clear it before the command, read it right after,
    /// on the thread that applied or read it. Never part of a reply or of the state.
    /// </summary>
    public static bool ScriptCalledReadOnThisThread => Scripting.ScriptHost.CalledReadOnThisThread;

    /// <summary>Clears <see cref="ScriptCalledReadOnThisThread"/> before a command that may run a script.</summary>
    public static void ClearScriptCalledRead() => Scripting.ScriptHost.ClearCalledRead();

    /// <summary>
    /// The commands that scripts run on the calling thread called and ACL refused since the last call (null when none),
    /// for the node's ACL LOG (context lua); take them before a command and right after it, on the same thread. Every
    /// replica records the same; only the node whose client sent the script logs them. Never part of a reply or state.
    /// </summary>
    public static List<Acl.ScriptAclRefusal>? TakeScriptAclRefusals() => Scripting.ScriptHost.TakeRefusals();

    /// <summary>
    /// Before a command that may run a script: clears what the calling thread observed of scripts so far
    /// (<see cref="ScriptCalledReadOnThisThread"/>, <see cref="TakeScriptAclRefusals"/>, <see cref="TakeScriptCalls"/>), so what is read after the
    /// command is that command's alone.
    /// </summary>
    public static void ClearScriptObservations()
    {
        Scripting.ScriptHost.ClearCalledRead();
        Scripting.ScriptHost.TakeRefusals();
        Scripting.ScriptHost.TakeCalls();
    }

    /// <summary>The commands scripts run on this thread called since the last call and their errors (null: none), for INFO commandstats and errorstats; clears them.</summary>
    public static ScriptCalls? TakeScriptCalls() => Scripting.ScriptHost.TakeCalls();

    /// <summary>Told each command a script or function runs (MONITOR's "lua" lines); it only observes.</summary>
    public Action<byte[][]>? ScriptCallObserver
    {
        get => _scripts.CallObserver;
        set => _scripts.CallObserver = value;
    }

    /// <summary>Scripts in the replicated cache (INFO number_of_cached_scripts).</summary>
    public int CachedScriptCount => _scripts.Cache.Count;

    /// <summary>Bytes of the cached script bodies (INFO used_memory_scripts_eval).</summary>
    public long CachedScriptBytes => _scripts.Cache.BodyBytes;

    /// <summary>Bytes the script engine's Lua state holds (INFO used_memory_vm_eval); 0 before the first script.</summary>
    public long ScriptEngineMemory => _scripts.EngineMemory;

    /// <summary>True when the script cache holds <paramref name="sha"/> (any case): EVALSHA's check before the log.</summary>
    public bool HasScript(byte[] sha)
    {
        ArgumentNullException.ThrowIfNull(sha);
        return sha.Length == 40 && _scripts.Cache.Contains(System.Text.Encoding.ASCII.GetString(sha).ToLowerInvariant());
    }

    /// <summary>SCRIPT EXISTS: 1 or 0 for each SHA.</summary>
    public Reply ScriptExists(byte[][] shas)
    {
        ArgumentNullException.ThrowIfNull(shas);
        return _scripts.Exists(shas);
    }

    /// <summary>
    /// The messages scripts published (redis.call('publish', ...)) in the entries applied since the last call, in order:
    /// the node delivers them to its own subscribers, as it delivers an applied PUBLISH.
    /// </summary>
    public IReadOnlyList<(byte[] Channel, byte[] Message, bool Sharded)> TakePublished() => _scripts.TakePublished();

    /// <summary>The function libraries (FUNCTION LOAD ...): replicated state, kept in snapshots.</summary>
    internal FunctionStore Functions => _functions;

    /// <summary>True for a FUNCTION subcommand that changes the libraries (<paramref name="arguments"/> start at the subcommand): propose it as a FUNCTION entry.</summary>
    public static bool IsFunctionWrite(byte[][] arguments) => FunctionCommands.IsWrite(arguments);

    /// <summary>Function libraries loaded (FUNCTION STATS's libraries_count).</summary>
    public int FunctionLibraryCount
    {
        get
        {
            lock (_functions.Gate)
            {
                return _functions.Current.LibraryCount;
            }
        }
    }

    /// <summary>
    /// Whether FCALL/FCALL_RO of <paramref name="name"/> is refused when memory is over maxmemory, as Redis derives the
    /// command's denyoom flag from the function's: true unless it declares allow-oom or no-writes; false when there is
    /// no such function (FCALL then answers that).
    /// </summary>
    public bool FunctionDeniesOom(byte[] name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_functions.Gate)
        {
            return _functions.Current.FindFunction(System.Text.Encoding.UTF8.GetString(name)) is { } found
                   && (found.Function.Flags & (FunctionFlags.AllowOom | FunctionFlags.NoWrites)) == 0;
        }
    }

    /// <summary>
    /// Whether EVAL, EVALSHA or FCALL of <paramref name="target"/> (the script's body, its SHA or the function's name) may
    /// write, as Redis derives those commands' flags for CLIENT PAUSE WRITE: a script or function that declares flags
    /// writes unless it declares no-writes; a script that declares none (compatibility mode), a SHA not cached and a
    /// function not loaded keep the command's own flag, may-replicate. Any other command: false.
    /// </summary>
    public bool ScriptMayWrite(CommandId command, byte[] target)
    {
        ArgumentNullException.ThrowIfNull(target);
        switch (command)
        {
            case CommandId.Eval:
                return !ScriptShebang.TryParse(target, out var flags, out _, out _) || flags is not { NoWrites: true };
            case CommandId.Evalsha:
                return target.Length != 40 || !_scripts.Cache.TryGet(System.Text.Encoding.ASCII.GetString(target).ToLowerInvariant(), out var body)
                       || !ScriptShebang.TryParse(body, out var cached, out _, out _) || cached is not { NoWrites: true };
            case CommandId.Fcall:
                lock (_functions.Gate)
                {
                    return _functions.Current.FindFunction(System.Text.Encoding.UTF8.GetString(target)) is not { } found
                           || (found.Function.Flags & FunctionFlags.NoWrites) == 0;
                }

            default:
                return false;
        }
    }

    /// <summary>FUNCTION's checks that need no state (options of LOAD, FLUSH, RESTORE, LIST): the error, or null.</summary>
    public static Reply? ValidateFunction(byte[][] arguments) => FunctionCommands.Validate(arguments);

    /// <summary>
    /// As <see cref="Apply(Log.LogCommand, long, int)"/>, letting a script (EVAL, EVALSHA, FCALL) be suspended at the end
    /// of a slice of <see cref="Scripting.LuaEngine.SliceInstructions"/> instructions, the same instruction on every
    /// replica: then <see cref="IsScriptSuspended"/>, the reply is meaningless, and <see cref="ContinueScript"/> goes on
    /// (the node applies nothing else meanwhile; see the node's KvStateMachine.Scripts.cs).
    /// </summary>
    public Reply ApplySuspendable(Log.LogCommand command, long entryIndex, int position)
    {
        _scripts.SuspendNext = true;
        try
        {
            return Apply(command, entryIndex, position);
        }
        finally
        {
            _scripts.SuspendNext = false;
        }
    }

    /// <summary>True while a script is suspended at the end of a slice, its effects so far pending.</summary>
    public bool IsScriptSuspended => _scripts.Suspended is not null;

    /// <summary>True when the suspended script came from EVAL/EVALSHA (SCRIPT KILL), false from FCALL (FUNCTION KILL).</summary>
    public bool SuspendedScriptIsEval => _scripts.Suspended?.IsEval ?? false;

    /// <summary>True once the suspended script has called a write command: it cannot be killed then.</summary>
    public bool SuspendedScriptWritten => _scripts.Written;

    /// <summary>
    /// Runs the suspended script's next slice, or kills it (<paramref name="kill"/>; its caller is answered
    /// "Script killed by user with SCRIPT KILL..." and its effects are rolled back): its reply once it ended, or null
    /// when it was suspended again.
    /// </summary>
    public Reply? ContinueScript(bool kill)
    {
        _keys.AccessClockMs = Now;
        return _scripts.Continue(kill);
    }
}
