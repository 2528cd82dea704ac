using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Digests;
using RaftKV.StateMachine.Functions;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Locks;
using RaftKV.StateMachine.Log;

namespace RaftKV.StateMachine;

/// <summary>
/// The replicated keyspace. Not thread-safe: the caller serializes every call (one applier; reads
/// between applies). The store changes only through <see cref="Apply"/>, which is deterministic: the
/// same entries in the same order give the same state and replies on every replica, byte for byte
/// (<see cref="Digest"/>). It reads no clock and no randomness of its own: time is the entries'
/// timestamps (<see cref="Now"/>) and randomness their seeds.
/// </summary>
public sealed partial class KeyValueStore
{
    private readonly RuntimeConfig _config;
    private readonly KeyTable _keys;
    private readonly LockTable _locks = new();
    private readonly Acl.AclTable _acl = new();
    private readonly FunctionStore _functions = new(FunctionEngineFactory.Create);
    private readonly Security.ClusterSecret _clusterSecret = new();
    private readonly Scripting.ScriptHost _scripts;

    // The Raft index of the entry being applied, for fencing tokens; 0 outside Apply (reads grant no tokens).
    private long _entryIndex;

    // True on a thread serving a read (a script run by it must not write or change replicated state).
    [ThreadStatic]
    private static bool t_reading;

    // The ACL user the script being run (EVAL, EVALSHA, FCALL and their _RO forms) checks its redis.call commands
    // against; null when unchecked. Set around one apply or read on its thread.
    [ThreadStatic]
    private static global::RaftKV.StateMachine.Acl.AclUser? t_scriptUser;

    // Varies the seed of successive reads within one millisecond (SRANDMEMBER, RANDOMKEY, ...). Reads may
    // run concurrently with each other, hence Interlocked; it is not state and never replicated.
    private long _readCounter;

    public KeyValueStore()
    {
        _config = new RuntimeConfig();
        _keys = new KeyTable { Config = _config };
        _scripts = new Scripting.ScriptHost(_keys, Execute)
        {
            DenyScriptsDisabled = () => _config.Get(Configuration.ConfigParameters.DebugDisableDenyScripts) == "yes",
        };
    }

    internal KeyValueStore(long now)
        : this()
    {
        Now = now;
        _keys.AccessClockMs = now;
    }

    /// <summary>The state machine's clock: the largest entry timestamp applied so far (Unix ms).</summary>
    public long Now { get; private set; }

    /// <summary>Stored keys, including logically expired keys not yet deleted (as Redis's DBSIZE).</summary>
    public long KeyCount => _keys.Count;

    internal KeyTable Keys => _keys;

    internal LockTable Locks => _locks;

    /// <summary>
    /// Whether <paramref name="reply"/> is BLMOVE's or BRPOPLPUSH's WRONGTYPE for a source that holds another type (not
    /// for a destination of another type): a woken blocked client keeps waiting on it, as Redis serves a blocked client
    /// only from a key of its type.
    /// </summary>
    public static bool IsBlockedSourceOfOtherType(Protocol.Replies.Reply reply) => ReferenceEquals(reply, Commands.BlockingCommands.SourceOfOtherType);

    /// <summary>
    /// A copy of the cluster secret (ClusterSecretSet), or null before one is committed: for proving membership between
    /// nodes only; never to be shown to a client or logged. Readable without the apply lock.
    /// </summary>
    public byte[]? ClusterSecret => (byte[]?)_clusterSecret.Value?.Clone();

    internal Security.ClusterSecret ClusterSecretState => _clusterSecret;

    /// <summary>The replicated ACL users: <see cref="Acl.AclTable.Current"/> may be read at any time, without the lock.</summary>
    public Acl.AclTable Acl => _acl;

    /// <summary>The replicated runtime configuration (CONFIG SET): read it between applies, as the keyspace.</summary>
    public RuntimeConfig Config => _config;

    /// <summary>Applies one committed entry whose log index is not known: as <see cref="Apply(LogCommand, long)"/> with index 0.</summary>
    public Reply Apply(LogCommand command) => Apply(command, 0);

    /// <summary>
    /// Applies one committed entry and returns the client's reply. Advances <see cref="Now"/> to the
    /// entry's timestamp (never backwards). Invalid entries (unknown command, bad arguments) get an error
    /// reply and leave the keyspace unchanged; NoOp only advances the clock.
    /// </summary>
    /// <param name="command">The command; for a Batch entry, each command inside it in turn.</param>
    /// <param name="entryIndex">
    /// The Raft log index of the entry holding the command (the commands of one Batch share it), or 0 when unknown.
    /// A lock granted by the command gets the fencing token max(<paramref name="entryIndex"/>, last token + 1):
    /// the index when it is new, otherwise the next number, so tokens strictly increase along the log either way.
    /// </param>
    public Reply Apply(LogCommand command, long entryIndex) => Apply(command, entryIndex, 0);

    /// <summary>
    /// As <see cref="Apply(LogCommand, long)"/> for the command at <paramref name="position"/> inside a Batch entry
    /// (0 for an entry of its own): the keys it changes get the revision <c>index * 1024 + position</c>
    /// (<see cref="NextRevision"/>), or the transaction's while one is applied (<see cref="BeginTransaction"/>).
    /// </summary>
    public Reply Apply(LogCommand command, long entryIndex, int position)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfNegative(entryIndex);
        var previousNow = Now;
        Now = Math.Max(Now, command.TimestampMs);
        if (!_inTransaction)
        {
            _keys.Revision = NextRevision(entryIndex, position);
        }

        _keys.Events.Flags = _config.KeyspaceEventFlags;

        if (command.Command is CommandId.Batch or CommandId.Transaction)
        {
            // Whole entries are unpacked by the applier; one found inside another is refused alike everywhere.
            return Reply.Error("ERR nested batch or transaction entry");
        }

        if (command.Command == CommandId.NoOp)
        {
            return Reply.Ok;
        }

        if (command.Command == CommandId.LockLeaseExtend)
        {
            return command.Arguments.Length == 0
                ? Reply.Integer(_locks.ExtendLeases(previousNow, Now))
                : Reply.Error(ErrorTexts.WrongArity("lockleaseextend"));
        }

        if (command.Command == CommandId.ConfigSet)
        {
            var configured = _config.Apply(command.Arguments);
            // requirepass sets the default user's password, as Redis's; the node puts the password's hash in the entry.
            for (var i = 0; configured is not ErrorReply && i + 1 < command.Arguments.Length; i += 2)
            {
                if (command.Arguments[i].AsSpan().SequenceEqual("requirepass"u8))
                {
                    _acl.SetDefaultPassword(System.Text.Encoding.Latin1.GetString(command.Arguments[i + 1]));
                }
            }

            _keys.Events.Flags = _config.KeyspaceEventFlags;
            return configured;
        }

        if (command.Command == CommandId.Acl)
        {
            return _acl.Apply(command.Arguments);
        }

        if (command.Command == CommandId.AclBootstrap)
        {
            return _acl.Bootstrap(command.Arguments, _config);
        }

        if (command.Command == CommandId.ScriptLoad)
        {
            return command.Arguments.Length == 1 ? _scripts.Load(command.Arguments[0]) : Reply.Error(ErrorTexts.WrongArity("script|load"));
        }

        if (command.Command == CommandId.ScriptFlush)
        {
            return _scripts.Flush();
        }

        if (command.Command == CommandId.Function)
        {
            return FunctionCommands.Apply(_functions, command.Arguments);
        }

        if (command.Command == CommandId.ClusterSecretSet)
        {
            return _clusterSecret.Apply(command.Arguments);
        }

        var id = command.Command;
        var arguments = command.Arguments;
        if (id == CommandId.ScriptAsUser)
        {
            if (!ScriptUserEntry.TryUnwrap(arguments, out var userName, out id, out arguments, out var overMemory))
            {
                return Reply.Error("ERR bad script entry");
            }

            _scripts.OverMemoryAtStart = overMemory;

            // The ACL table as of this entry: every replica resolves the same user, or finds it deleted alike.
            t_scriptUser = global::RaftKV.StateMachine.Acl.AclScriptCheck.Resolve(_acl.Current, userName);
        }

        _entryIndex = entryIndex;
        _keys.AccessClockMs = Now;
        try
        {
            return Execute(id, arguments, Now, command.Seed);
        }
        finally
        {
            _entryIndex = 0;
            t_scriptUser = null;
            _scripts.OverMemoryAtStart = false;
        }
    }

    /// <summary>
    /// Serves a read-only command at <paramref name="nowMs"/> (the leader's clock, which the caller keeps
    /// at or after <see cref="Now"/>): keys expired by then are hidden. Never changes the store; a write
    /// command is refused with an error reply. Reads that choose at random (SRANDMEMBER, HRANDFIELD,
    /// ZRANDMEMBER, RANDOMKEY) draw from a seed derived from <paramref name="nowMs"/> and a per-store read
    /// counter: not reproducible across replicas, which a read need not be, and never from a shared RNG.
    /// </summary>
    public Reply Read(CommandId command, byte[][] arguments, long nowMs) => Read(command, arguments, nowMs, null);

    /// <summary>
    /// The keys the last <see cref="Read(CommandId, byte[][], long, string?)"/> on this thread found stored but expired,
    /// once (null: none). Redis's lazy expiry deletes such a key and invalidates it for client tracking; a read here
    /// changes nothing, so the node invalidates them itself and the expiry sweep deletes them later.
    /// </summary>
    public static List<byte[]>? TakeExpiredKeysRead() => KeyTable.TakeExpiredSeen();

    /// <summary>The keys the last read on this thread found expired, left for <see cref="TakeExpiredKeysRead"/> (null: none).</summary>
    public static List<byte[]>? ExpiredKeysRead => KeyTable.ExpiredSeen;

    /// <summary>
    /// As <see cref="Read(CommandId, byte[][], long)"/> for a session signed in as <paramref name="userName"/>: a script
    /// (EVAL_RO, EVALSHA_RO, FCALL_RO) checks each redis.call against that user; null runs unchecked.
    /// </summary>
    public Reply Read(CommandId command, byte[][] arguments, long nowMs, string? userName)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = CommandValidator.Find(command);
        if (info is not null && info.IsWrite)
        {
            return Reply.Error($"ERR '{info.Name}' is a write command and cannot be served as a read");
        }

        if (command == CommandId.Function)
        {
            return FunctionCommands.Read(_functions, arguments);
        }

        var counter = (ulong)Interlocked.Increment(ref _readCounter);
        var seed = ((ulong)nowMs * 0x9E3779B97F4A7C15UL) ^ (counter * 0xD1B54A32D192ED03UL);
        t_reading = true;
        t_scriptUser = userName is null ? null : global::RaftKV.StateMachine.Acl.AclScriptCheck.Resolve(_acl.Current, userName);
        KeyTable.BeginCollectingExpired();
        try
        {
            return Execute(command, arguments, Math.Max(nowMs, Now), seed);
        }
        finally
        {
            KeyTable.EndCollectingExpired();
            t_reading = false;
            t_scriptUser = null;
        }
    }

    /// <summary>
    /// The checks that need no state (arity, syntax, integer arguments). Returns the error reply to send,
    /// or null when the command may be proposed. <see cref="Apply"/> repeats them, so a bad entry that
    /// reaches the log anyway is refused alike on every replica.
    /// </summary>
    public static Reply? Validate(CommandId command, byte[][] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return CommandValidator.Validate(command, arguments);
    }

    /// <summary>
    /// The form in which the leader writes <paramref name="command"/> to the log: relative expiry times made
    /// absolute at <see cref="LogCommand.TimestampMs"/> (EXPIRE, PEXPIRE -> PEXPIREAT; SETEX, PSETEX -> SET
    /// ... PXAT; SET and GETEX with EX or PX -> PXAT), every other argument kept. Returns
    /// <paramref name="command"/> itself when there is nothing to rewrite, including every command that
    /// would fail, so that applying it gives the client the same error. Pure: call it with the timestamp
    /// the entry will carry (the leader's clock, not behind <see cref="Now"/>). Applying the result at that
    /// time gives the same reply and state as applying the original.
    /// </summary>
    public static LogCommand ToLogForm(LogCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return LogForm.Rewrite(command);
    }

    /// <summary>
    /// Keys this store deleted at apply because they had expired (expiry sweeps, writes finding their key expired), as
    /// Redis's expired_keys; counted alike on every replica. Not state: a restored snapshot starts it again at 0.
    /// </summary>
    public long ExpiredKeyCount => _keys.ExpiredRemovals;

    /// <summary>Keys evicted at apply (Evict entries), as Redis's evicted_keys; counted alike on every replica, not state.</summary>
    public long EvictedKeyCount => _keys.EvictedRemovals;

    /// <summary>
    /// Changes applied (Redis's dirty counter, INFO's rdb_changes_since_last_save): one per keyspace event a write
    /// reports, so a write that changes nothing counts nothing (Redis counts some multi-element writes once per
    /// element; here they count once). Not state: a restored snapshot starts it again at 0.
    /// </summary>
    public long ChangeCount => _keys.Events.Changes;

    /// <summary>
    /// Whether the applies record the keys they change (<see cref="TakeKeyChanges"/>), for CLIENT TRACKING's invalidations.
    /// Recording changes no reply and no state.
    /// </summary>
    public bool RecordsKeyChanges
    {
        get => _keys.Changes.Enabled;
        set => _keys.Changes.Enabled = value;
    }

    /// <summary>Whether each key changed is recorded with the value it held before (<see cref="WatchBefore"/>), for gRPC Watch's prev_kv.</summary>
    public bool RecordsValuesBefore
    {
        get => _keys.Changes.CapturesBefore;
        set => _keys.Changes.CapturesBefore = value;
    }

    /// <summary>
    /// The keys changed since the last call (in order, possibly repeated; each a copy the caller owns, in a list valid until
    /// the next call) and whether the keyspace was flushed meanwhile, while <see cref="RecordsKeyChanges"/>.
    /// </summary>
    public (IReadOnlyList<byte[]> Keys, bool Flushed) TakeKeyChanges() => _keys.Changes.Take();

    /// <summary>
    /// For a client that blocks in XREAD with <c>$</c>: <paramref name="arguments"/> (the name excluded) with each
    /// <c>$</c> replaced by its stream's last id at <paramref name="nowMs"/> (0-0 for a missing key), so that running
    /// the command again later answers only entries added after now, as Redis resolves <c>$</c> when the client blocks.
    /// Read-only; returns the arguments unchanged when they are not a valid XREAD.
    /// </summary>
    public byte[][] ResolveStreamReadIds(byte[][] arguments, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return Commands.Streams.StreamReadCommands.ResolveLastIds(_keys, arguments, Math.Max(nowMs, Now));
    }

    /// <summary>Stored keys with an expiry, expired or not (for sizing the leader's expiry sweeps).</summary>
    public long ExpiringKeyCount => _keys.ExpiringCount;

    /// <summary>
    /// For the leader's active expiry: up to <paramref name="max"/> keys expired at <paramref name="nowMs"/>
    /// (never taken as earlier than <see cref="Now"/>), earliest expiry first, ties in canonical key order.
    /// Read-only; costs O(log n + max). Propose the result as one <see cref="CommandId.ExpireSweep"/> entry
    /// whose arguments are these keys: applying it deletes each one still expired at the entry's time.
    /// The returned arrays are the store's own key bytes, which are never mutated; do not mutate them either.
    /// </summary>
    public IReadOnlyList<byte[]> ExpiredKeys(long nowMs, int max)
    {
        var expired = _keys.ExpiredAt(Math.Max(nowMs, Now), max);
        var keys = new byte[expired.Count][];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = expired[i].Key;
        }

        return keys;
    }

    /// <summary>
    /// Starts a snapshot of the store as it is now, labelled with the last applied <paramref name="index"/> and
    /// <paramref name="term"/>, to be written in slices between applies (<see cref="Snapshots.IncrementalSnapshot"/>):
    /// applies copy each key's old state before they first change it. One at a time: finish or abandon it first.
    /// </summary>
    public Snapshots.IncrementalSnapshot BeginSnapshot(long index, long term) => new(this, index, term);

    /// <summary>Redis's robj (16 bytes) and dict entry (24 bytes) with the key's sds header, per key.</summary>
    private const long PerKeyOverhead = 48;

    private Reply Execute(CommandId command, byte[][] args, long now, ulong seed)
    {
        if (CommandValidator.Validate(command, args) is { } invalid)
        {
            return invalid;
        }

        try
        {
            using var limits = EncodingLimits.Use(_config.Limits);
            return Dispatch(command, args, now, seed);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Commands check before they mutate, so this is a bug, not a half-applied write. Every replica
            // runs the same code on the same input and answers the same.
            return Reply.Error("ERR " + exception.GetType().Name + ": " + exception.Message);
        }
    }

    private Reply Dispatch(CommandId command, byte[][] args, long now, ulong seed) => command switch
    {
        CommandId.Get => StringCommands.Get(_keys, args, now),
        CommandId.Set => StringCommands.Set(_keys, args, now),
        CommandId.Setnx => StringCommands.SetNx(_keys, args, now),
        CommandId.Getset => StringCommands.GetSet(_keys, args, now),
        CommandId.Getdel => StringCommands.GetDel(_keys, args, now),
        CommandId.Mget => StringCommands.MGet(_keys, args, now),
        CommandId.Mset => StringCommands.MSet(_keys, args, now),
        CommandId.Msetnx => StringCommands.MSetNx(_keys, args, now),
        CommandId.Append => StringCommands.Append(_keys, args, now),
        CommandId.Strlen => StringCommands.StrLen(_keys, args, now),
        CommandId.Incr => StringCommands.IncrBy(_keys, args[0], 1, now),
        CommandId.Decr => StringCommands.IncrBy(_keys, args[0], -1, now),
        CommandId.Incrby => StringCommands.IncrBy(_keys, args[0], ParseLong(args[1]), now),
        CommandId.Decrby => StringCommands.IncrBy(_keys, args[0], -ParseLong(args[1]), now),
        CommandId.Incrbyfloat => StringCommands.IncrByFloat(_keys, args, now),
        CommandId.Getrange or CommandId.Substr =>
            StringCommands.GetRange(_keys, args[0], ParseLong(args[1]), ParseLong(args[2]), now),
        CommandId.Setrange => StringCommands.SetRange(_keys, args[0], ParseLong(args[1]), args[2], now),
        CommandId.Del or CommandId.Unlink => KeyspaceCommands.Del(_keys, args, now),
        CommandId.Exists => KeyspaceCommands.Exists(_keys, args, now),
        CommandId.Type => KeyspaceCommands.Type(_keys, args, now),
        CommandId.Rename => KeyspaceCommands.Rename(_keys, args, now, onlyIfAbsent: false),
        CommandId.Renamenx => KeyspaceCommands.Rename(_keys, args, now, onlyIfAbsent: true),
        CommandId.Keys => KeyspaceCommands.Keys(_keys, args, now),
        CommandId.Scan => KeyspaceCommands.Scan(_keys, args, now),
        CommandId.Dbsize => KeyspaceCommands.DbSize(_keys),
        CommandId.Flushdb or CommandId.Flushall => KeyspaceCommands.Flush(_keys),

        // The store has no subscribers: the node delivers the message to its own when it applies the entry.
        CommandId.Publish or CommandId.Spublish => Reply.Zero,
        CommandId.Object => GenericCommands.Object(_keys, args, now, _config.Lfu),
        CommandId.Touch => GenericCommands.Touch(_keys, args, now),
        CommandId.Copy => GenericCommands.Copy(_keys, args, now),
        CommandId.Dump => DumpCommands.Dump(_keys, args, now),
        CommandId.Restore => DumpCommands.Restore(_keys, args, now),
        CommandId.Setbit => BitCommands.SetBit(_keys, args, now),
        CommandId.Getbit => BitCommands.GetBit(_keys, args, now),
        CommandId.Bitcount => BitCommands.BitCount(_keys, args, now),
        CommandId.Bitpos => BitCommands.BitPos(_keys, args, now),
        CommandId.Bitop => BitCommands.BitOp(_keys, args, now),
        CommandId.Bitfield => BitfieldCommand.Execute(_keys, args, now, readOnly: false),
        CommandId.BitfieldRo => BitfieldCommand.Execute(_keys, args, now, readOnly: true),

        // hll-sparse-max-bytes is replicated configuration (CONFIG SET), so every replica promotes an HLL at the same entry.
        CommandId.Pfadd => HyperLogLogCommands.Add(_keys, args, now, (int)Math.Min(int.MaxValue, _config.Limits.HllSparseMaxBytes)),
        CommandId.Pfcount => HyperLogLogCommands.Count(_keys, args, now),
        CommandId.Pfmerge => HyperLogLogCommands.Merge(_keys, args, now, (int)Math.Min(int.MaxValue, _config.Limits.HllSparseMaxBytes)),
        CommandId.Pfdebug => HyperLogLogCommands.Debug(_keys, args, now),
        CommandId.Randomkey => GenericCommands.RandomKey(_keys, now, new Numbers.DeterministicRandom(seed)),
        CommandId.Eval or CommandId.Evalsha or CommandId.EvalRo or CommandId.EvalshaRo => _scripts.Eval(command, args, now, seed, t_reading, t_scriptUser),
        CommandId.Fcall or CommandId.FcallRo => CallFunction(command, args, now, seed),
        CommandId.RaftkvLockAcquire or CommandId.RaftkvLockRelease or CommandId.RaftkvLockRefresh or CommandId.RaftkvLockOwner =>
            LockCommands.Dispatch(_locks, _keys.Events, command, args, now, _entryIndex),
        CommandId.RaftkvGetrev => RevisionCommands.GetRev(_keys, args, now),
        CommandId.RaftkvKvGet => Commands.Kv.KvCommands.Get(_keys, args, now),
        CommandId.RaftkvKvRange => Commands.Kv.KvCommands.Range(_keys, args, now),
        CommandId.RaftkvKvPut => Commands.Kv.KvCommands.Put(_keys, args, now),
        CommandId.RaftkvKvDelete => Commands.Kv.KvCommands.Delete(_keys, args, now),
        CommandId.RaftkvTxn => Commands.Kv.TxnCommand.Apply(_keys, args, now),
        CommandId.Evict => Eviction.EvictionCommands.Evict(_keys, args,
            _config.MaxMemoryBytes > 0 && _config.EvictionPolicy != Eviction.EvictionPolicy.NoEviction,
            Eviction.EvictionPolicies.IsVolatile(_config.EvictionPolicy)),
        _ when ExpireDispatch.Handles(command) => ExpireDispatch.Dispatch(_keys, command, args, now),
        _ when Commands.Streams.StreamDispatch.Handles(command) => Commands.Streams.StreamDispatch.Dispatch(_keys, command, args, now),
        _ => CollectionDispatch.Dispatch(_keys, command, args, now, seed),
    };

    // Only called on arguments CommandValidator has already accepted.
    // A method of its own: the lambda's captures, in Dispatch, were allocated for every command it dispatched.
    private Reply CallFunction(CommandId command, byte[][] args, long now, ulong seed) =>
        FunctionCall.Execute(_functions, args, command == CommandId.FcallRo || t_reading,
            (keys, arguments, readOnly, engine, body) => _scripts.RunFunction(keys, arguments, now, seed, readOnly, t_scriptUser, engine, body));

    private static long ParseLong(byte[] text) =>
        Numbers.RedisIntegers.TryParse(text, out var value) ? value : throw new InvalidOperationException("Unvalidated integer argument.");
}
