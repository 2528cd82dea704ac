using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Acl;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and the SCRIPT cache for one store. Design: a script runs at apply on every
/// replica (EVAL and EVALSHA are log entries carrying the script or its SHA, numkeys, keys and arguments; the entry's
/// timestamp and seed are the script's clock and randomness) in an environment with no source of difference between
/// processes (<see cref="LuaEngine"/>). EVAL_RO/EVALSHA_RO run as reads on the leader. A script stopped by its budget
/// (instructions or memory) leaves no partial effects: its writes are recorded in an undo journal and rolled back; a
/// script that fails otherwise (error(), a failed redis.call) keeps its earlier writes, as in Redis.
/// Messages a script publishes are collected and delivered by the node after the apply (<see cref="TakePublished"/>).
/// Engine-agnostic pieces (the budget, the journal, the dispatch of redis.call) serve FUNCTION/FCALL alike.
/// Not thread-safe on its own: the store serializes applies, and reads that run scripts take <see cref="_gate"/>.
/// </summary>
internal sealed partial class ScriptHost(KeyTable keys, Func<CommandId, byte[][], long, ulong, Reply> execute)
{
    public const string NoScript = "NOSCRIPT No matching script. Please use EVAL.";

    private readonly Lock _gate = new();
    // Shared with the keyspace notifications, so a script's PUBLISH and its writes' events keep their order.
    private readonly List<(byte[] Channel, byte[] Message, bool Sharded)> _published = keys.Events.Outbox;
    private LuaEngine? _engine;

    private const string OutOfMemory = "OOM command not allowed when used memory > 'maxmemory'.";

    public ScriptCache Cache { get; } = new();

    /// <summary>
    /// Set by the store around the apply of a script entry whose leader found memory above maxmemory (carried in the
    /// entry, so every replica agrees): the script may not start a denyoom command before it has written, as Redis's
    /// scriptVerifyOOM, unless its shebang declares allow-oom; a script with a shebang that may write is refused whole.
    /// </summary>
    public bool OverMemoryAtStart { get; set; }

    // The running script's view of OverMemoryAtStart (kept across its slices) and its allow-oom flag.
    private bool _denyOom;

    /// <summary>Whether the replicated test hook DEBUG SET-DISABLE-DENY-SCRIPTS is on (see the dispatch of redis.call).</summary>
    public Func<bool>? DenyScriptsDisabled { get; init; }

    /// <summary>
    /// Told each command a script runs (the whole command, its name first), after the checks that refuse it, as Redis
    /// feeds its MONITOR clients from call(); it only observes, so the state stays a function of the log.
    /// </summary>
    public Action<byte[][]>? CallObserver { get; set; }

    /// <summary>Bytes the Lua state holds (0 before the first script), as INFO's used_memory_vm_eval.</summary>
    public long EngineMemory
    {
        get
        {
            lock (_gate)
            {
                return _engine?.UsedMemory ?? 0;
            }
        }
    }

    /// <summary>
    /// EVAL/EVALSHA (at apply) or EVAL_RO/EVALSHA_RO (a read): arguments without the command name; each redis.call is
    /// checked against <paramref name="user"/> (null: unchecked).
    /// </summary>
    public Reply Eval(CommandId command, byte[][] args, long now, ulong seed, bool asRead, AclUser? user)
    {
        var bySha = command is CommandId.Evalsha or CommandId.EvalshaRo;
        var readOnly = asRead || command is CommandId.EvalRo or CommandId.EvalshaRo;
        if (!Numbers.RedisIntegers.TryParse(args[1], out var numkeys))
        {
            return Reply.Error("ERR value is not an integer or out of range");
        }

        if (numkeys > args.Length - 2)
        {
            return Reply.Error("ERR Number of keys can't be greater than number of args");
        }

        if (numkeys < 0)
        {
            return Reply.Error("ERR Number of keys can't be negative");
        }

        lock (_gate)
        {
            string sha;
            byte[] body;
            if (bySha)
            {
                sha = Encoding.ASCII.GetString(args[0]).ToLowerInvariant();
                if (args[0].Length != 40 || !Cache.TryGet(sha, out body))
                {
                    return Reply.Error(NoScript);
                }
            }
            else
            {
                body = args[0];
                sha = Sha1Hex.Of(body);
            }

            if (!ScriptShebang.TryParse(body, out var flags, out var code, out var shebangError))
            {
                return Reply.Error("ERR " + shebangError);
            }

            var engine = _engine ??= new LuaEngine();
            if (!engine.IsCompiled(sha) && engine.Compile(sha, code) is { } compileError)
            {
                return Reply.Error("ERR Error compiling script (new function): " + compileError);
            }

            // EVAL adds the script to the replicated cache (not an EVAL_RO, which runs on the leader only).
            if (!bySha && !asRead && !readOnly)
            {
                Cache.Add(sha, body);
            }

            if (flags is { } declared && !declared.NoWrites && command is CommandId.EvalRo or CommandId.EvalshaRo)
            {
                return Reply.Error("ERR Can not execute a script with write flag using *_ro command.");
            }

            if (OverMemoryAtStart && flags is { NoWrites: false, AllowOom: false } && !asRead)
            {
                return Reply.Error(OutOfMemory);
            }

            _denyOom = OverMemoryAtStart && flags?.AllowOom != true;
            readOnly |= flags?.NoWrites == true;
            var keyCount = (int)numkeys;
            var calls = 0UL;
            var run = new ScriptRun(args[2..(2 + keyCount)], args[(2 + keyCount)..], seed, user,
                command => Call(command, now, seed + 0x9E3779B97F4A7C15UL * ++calls, readOnly, user));
            return readOnly ? engine.Run(sha, run) ?? Reply.Error(engine.BudgetError) : RunJournaled(engine, sha, run);
        }
    }

    /// <summary>SCRIPT LOAD (an entry): compiles and caches the body; its SHA, or the compile error.</summary>
    public Reply Load(byte[] body)
    {
        lock (_gate)
        {
            var sha = Sha1Hex.Of(body);
            if (!ScriptShebang.TryParse(body, out _, out var code, out var shebangError))
            {
                return Reply.Error("ERR " + shebangError);
            }

            var engine = _engine ??= new LuaEngine();
            if (!engine.IsCompiled(sha) && engine.Compile(sha, code) is { } compileError)
            {
                return Reply.Error("ERR Error compiling script (new function): " + compileError);
            }

            Cache.Add(sha, body);
            return Reply.Bulk(sha);
        }
    }

    /// <summary>SCRIPT FLUSH (an entry): empties the cache and throws the Lua state away.</summary>
    public Reply Flush()
    {
        lock (_gate)
        {
            Cache.Clear();
            _engine?.Dispose();
            _engine = null;
            return Reply.Ok;
        }
    }

    /// <summary>SCRIPT EXISTS sha...: 1 or 0 for each.</summary>
    public Reply Exists(byte[][] shas)
    {
        lock (_gate)
        {
            return Reply.Array(shas.Select(s => Cache.Contains(Encoding.ASCII.GetString(s).ToLowerInvariant()) ? Reply.One : Reply.Zero).ToArray());
        }
    }

    /// <summary>
    /// The messages published by scripts and the keyspace notifications since the last call, in order; the node delivers
    /// them.
    /// </summary>
    public IReadOnlyList<(byte[] Channel, byte[] Message, bool Sharded)> TakePublished()
    {
        if (_published.Count == 0)
        {
            return [];
        }

        var taken = _published.ToArray();
        _published.Clear();
        return taken;
    }

    /// <summary>
    /// FCALL/FCALL_RO (Functions.FunctionCall): runs <paramref name="body"/> in <paramref name="engine"/> with a
    /// <see cref="ScriptRun"/> whose redis.call dispatch, read-only check and seeds are EVAL's, journaled unless
    /// <paramref name="readOnly"/> (a spent budget, when <paramref name="body"/> returns null, rolls every write back and
    /// answers the engine's budget error).
    /// </summary>
    public Reply RunFunction(byte[][] keyNames, byte[][] arguments, long now, ulong seed, bool readOnly, AclUser? user,
        Functions.IFunctionEngine engine, Func<ScriptRun, Reply?> body)
    {
        // A function's allow-oom (or its absence) is checked by the leader before the entry: nothing to refuse here.
        _denyOom = false;
        var calls = 0UL;
        var run = new ScriptRun(keyNames, arguments, seed, user, command => Call(command, now, seed + 0x9E3779B97F4A7C15UL * ++calls, readOnly, user));
        if (readOnly)
        {
            return body(run) ?? Reply.Error(engine.BudgetError);
        }

        engine.Suspendable = SuspendNext;
        return RunJournaled(new SuspendedRun(engine.Continue, () => engine.IsSuspended, () => engine.BudgetError, 0, IsEval: false),
            () => body(run));
    }

    /// <summary>
    /// Whether the next script this store applies (EVAL, EVALSHA, FCALL; not a read, not inside MULTI) may be suspended
    /// at the end of a slice: set by the store around a top-level apply (see <see cref="Suspended"/>).
    /// </summary>
    public bool SuspendNext { get; set; }

    /// <summary>The run suspended at the end of a slice, its effects so far pending under the undo journal, or null.</summary>
    public SuspendedRun? Suspended { get; private set; }

    /// <summary>True once the last script started called a write command (Redis's SCRIPT_WRITE_DIRTY): a kill is refused then.</summary>
    public bool Written { get; private set; }

    /// <summary>
    /// Runs the suspended script's next slice, or kills it (the caller checked that it has not written): its reply once
    /// it ended (its writes kept, or rolled back when its budget was spent or it was killed), or null when it was
    /// suspended again.
    /// </summary>
    public Reply? Continue(bool kill)
    {
        var suspended = Suspended ?? throw new InvalidOperationException("No script is suspended.");
        Suspended = null;
        Reply? reply;
        try
        {
            reply = suspended.Continue(kill);
        }
        catch
        {
            Abandon(suspended);
            throw;
        }

        return Finish(suspended, reply);
    }

    /// <summary>
    /// What the store answers for an apply that left its script suspended: never a client's reply (the node answers the
    /// script's caller when it ends).
    /// </summary>
    public static readonly Reply SuspendedReply = Reply.Error("ERR script suspended");

    private Reply RunJournaled(LuaEngine engine, string sha, ScriptRun run)
    {
        engine.Suspendable = SuspendNext;
        return RunJournaled(new SuspendedRun(engine.Continue, () => engine.IsSuspended, () => engine.BudgetError, 0, IsEval: true),
            () => engine.Run(sha, run));
    }

    // Runs a script under the undo journal. Suspended at the end of a slice, the journal stays open (the node applies
    // nothing else meanwhile) and SuspendedReply is returned; Continue goes on.
    private Reply RunJournaled(SuspendedRun template, Func<Reply?> start)
    {
        var run = template with { Published = _published.Count };
        keys.BeginJournal();
        Written = false;
        Reply? reply;
        try
        {
            reply = start();
        }
        catch
        {
            Abandon(run);
            throw;
        }

        return Finish(run, reply) ?? SuspendedReply;
    }

    private Reply? Finish(SuspendedRun run, Reply? reply)
    {
        if (run.IsSuspended())
        {
            Suspended = run;
            return null;
        }

        if (reply is not null)
        {
            keys.EndJournal();
            return reply;
        }

        Abandon(run);
        return Reply.Error(run.BudgetError());
    }

    private void Abandon(SuspendedRun run)
    {
        keys.Rollback();
        _published.RemoveRange(run.Published, _published.Count - run.Published);
    }

    /// <summary>
    /// One redis.call command (<see cref="CallChecked"/>), counted per full command name on the calling thread for INFO
    /// commandstats of the node whose client sent the script (<see cref="TakeCalls"/>): rejected before it ran (arity,
    /// noscript, ACL, a write from a read-only script, OOM), or run (failed when it answered an error); its error reply,
    /// if any, counts in errorstats there, as Redis counts it. Not timed: the state machine reads no clock; their time
    /// is the script's.
    /// </summary>
    private Reply Call(byte[][] command, long now, ulong seed, bool readOnly, AclUser? user)
    {
        var reply = CallChecked(command, now, seed, readOnly, user, out var fullName, out var ran);
        NoteCall(fullName, ran, reply as ErrorReply);
        return reply;
    }

    /// <summary>One redis.call command, checked as Redis checks commands called from scripts (script.c), ACL included.</summary>
    /// <param name="fullName">The full name of the command called (container|sub); null when no command has that name.</param>
    /// <param name="ran">False when it was refused before it ran.</param>
    private Reply CallChecked(byte[][] command, long now, ulong seed, bool readOnly, AclUser? user, out string? fullName, out bool ran)
    {
        ran = false;
        fullName = null;
        if (!CommandTable.TryGet(command[0], out var spec))
        {
            return Reply.Error("ERR Unknown Redis command called from script");
        }

        fullName = CommandNames.Full(spec, command);
        if (!spec.AcceptsArgumentCount(command.Length) || AclCommandCatalog.SubcommandRefusing(fullName, command.Length) is not null)
        {
            return Reply.Error("ERR Wrong number of args calling Redis command from script");
        }

        // Redis's order: arity, then noscript, then ACL (the commands answered just below are not noscript).
        if (user is not null && (!NotAllowed(spec) || spec.Id is CommandId.Ping or CommandId.Echo or CommandId.Time or CommandId.Select)
            && AclScriptCheck.Refusal(user, spec, command, out var refused) is { } refusal)
        {
            NoteRefusal(refused);
            return Reply.Error(refusal);
        }

        var args = command[1..];
        if (CallObserver is { } observer && !NotAllowed(spec) && !(spec.IsWrite && readOnly))
        {
            observer(command);
        }

        ran = true;
        switch (spec.Id)
        {
            case CommandId.Ping:
                return args.Length == 0 ? Reply.Pong : args.Length == 1 ? Reply.Bulk(args[0]) : Reply.Error("ERR wrong number of arguments for 'ping' command");
            case CommandId.Echo:
                return Reply.Bulk(args[0]);
            case CommandId.Time:
                return Reply.Array(Reply.Bulk((now / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    Reply.Bulk((now % 1000 * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            case CommandId.Select:
                return args[0] is [(byte)'0'] ? Reply.Ok : Reply.Error("ERR DB index is out of range");
            // A key's access time and LFU counter are each node's own (reads touch them only where they run), so a
            // script, which runs on every replica, may not read them: its result must be the same everywhere.
            case CommandId.Object when args.Length > 0 && (Ascii.EqualsIgnoreCase(args[0], "IDLETIME"u8) || Ascii.EqualsIgnoreCase(args[0], "FREQ"u8)):
                return Reply.Error("ERR This Redis command is not allowed from script");
            case CommandId.Xread or CommandId.Xreadgroup when args.Any(static a => Ascii.EqualsIgnoreCase(a, "BLOCK"u8)):
                return Reply.Error($"ERR {spec.Name} command is not allowed with BLOCK option from scripts");
        }

        // DEBUG SET-DISABLE-DENY-SCRIPTS 1 (Redis's test hook; replicated here, as every replica runs the script) lets a
        // script call DEBUG PROTOCOL, whose replies are fixed, and DEBUG SLEEP, answered at once: time inside a script
        // is its entry's time, so a sleep would change nothing the script sees, and the apply must not stall. Commands
        // that read this node's own state (CLIENT LIST) stay refused: a script's result must be the same everywhere.
        if (spec.Id == CommandId.Debug && args is [var sub, var argument] && DenyScriptsDisabled?.Invoke() == true)
        {
            if (Ascii.EqualsIgnoreCase(sub, "PROTOCOL"u8))
            {
                return DebugProtocol.For(System.Text.Encoding.ASCII.GetString(argument));
            }

            if (Ascii.EqualsIgnoreCase(sub, "SLEEP"u8))
            {
                return Reply.Ok;
            }
        }

        ran = false;
        if (NotAllowed(spec))
        {
            return Reply.Error("ERR This Redis command is not allowed from script");
        }

        if (spec.IsWrite && readOnly)
        {
            return Reply.Error("ERR Write commands are not allowed from read-only scripts.");
        }

        if (_denyOom && !Written && (spec.Flags & CommandFlags.DenyOom) != 0)
        {
            return Reply.Error(OutOfMemory);
        }

        ran = true;

        if (spec.IsWrite)
        {
            // Redis's SCRIPT_WRITE_DIRTY: set before the call, whatever it answers.
            Written = true;
        }

        if (spec.Id is CommandId.Publish or CommandId.Spublish)
        {
            // The receivers are counted on each node by its own subscribers: a script sees 0 on every replica.
            _published.Add((args[0], args[1], spec.Id == CommandId.Spublish));
            return Reply.Zero;
        }

        // Redis's call() remembers the caller's keys for a read-only command, whatever it answers.
        if (spec.IsRead && !spec.IsWrite)
        {
            t_calledRead = true;
        }

        return execute(spec.Id, args, now, seed);
    }

    // Redis 7.0's noscript commands, and what the state machine cannot run: server and connection commands other than
    // the few answered above, and RaftKV's locks (their fencing tokens are not journaled).
    private static bool NotAllowed(CommandSpec spec) =>
        spec.Id is CommandId.Blpop or CommandId.Brpop or CommandId.Brpoplpush or CommandId.Blmove or CommandId.Bzpopmin
            or CommandId.Bzpopmax or CommandId.Eval or CommandId.Evalsha or CommandId.EvalRo or CommandId.EvalshaRo
            or CommandId.Script or CommandId.Fcall or CommandId.FcallRo or CommandId.Function
        || spec.Id.IsLockWrite() || spec.Id == CommandId.RaftkvLockOwner
        || (!spec.IsWrite && !spec.IsRead && spec.Id is not (CommandId.Publish or CommandId.Spublish));
}
