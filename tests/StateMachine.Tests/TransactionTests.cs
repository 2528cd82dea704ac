using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using RaftKV.StateMachine.Transactions;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The Transaction entry (EXEC): all or nothing, WATCH conditions against per-key modification revisions, tombstones
/// for deleted keys, and the same decisions on a replica that loaded a snapshot.
/// </summary>
public sealed class TransactionTests
{
    private const long Start = 1_000_000;

    [Fact]
    public void Transaction_AppliesEveryCommandInOrder_WithARuntimeErrorAsItsItem()
    {
        var log = new Log();
        log.Do("SET", "s", "text");
        var reply = log.Exec([], ["LPUSH", "s", "x"], ["SET", "a", "1"], ["GET", "a"], ["INCR", "a"]);
        Assert.Equal("[(error) WRONGTYPE Operation against a key holding the wrong kind of value, OK, \"1\", (integer) 2]", ReplyText.Render(reply));
    }

    // Found by the differential test (seed 20240604): inside MULTI, Redis runs a blocking pop on an empty key as its
    // non-blocking form, whose empty answer is the null array for BLPOP, BRPOP, BLMPOP, BZPOPMIN/MAX and BZMPOP but the
    // null bulk string for BLMOVE and BRPOPLPUSH (as LMOVE and RPOPLPUSH answer).
    [Fact]
    public void Transaction_BlockingMoveOnAnEmptyList_AnswersTheNullBulkString_AsItsNonBlockingForm()
    {
        var log = new Log();
        var reply = log.Exec([], ["BRPOPLPUSH", "e", "c", "0.01"], ["BLMOVE", "e", "c", "LEFT", "RIGHT", "0"], ["BLPOP", "e", "0"],
            ["BZPOPMIN", "e", "0"]);
        var items = Assert.IsType<ArrayReply>(reply).Items;
        Assert.Equal(
            [NullKind.Bulk, NullKind.Bulk, NullKind.Array, NullKind.Array],
            items.Select(static item => Assert.IsType<NullReply>(item).Kind));
    }

    [Fact]
    public void Transaction_CommandsShareOneRevision_TheEntrysIndexAndPosition()
    {
        var log = new Log();
        log.Exec([], ["SET", "a", "1"], ["SET", "b", "2"]);
        Assert.Equal(log.Store.Keys.Find(B("a"))!.Revision, log.Store.Keys.Find(B("b"))!.Revision);
        Assert.Equal(log.Index * KeyValueStore.RevisionsPerEntry, log.Store.Keys.Find(B("a"))!.Revision);
        log.Store.Apply(new LogCommand(CommandId.Set, log.Now, 0, [B("c"), B("3")]), log.Index + 1, 7);
        Assert.Equal((log.Index + 1) * KeyValueStore.RevisionsPerEntry + 7, log.Store.Keys.Find(B("c"))!.Revision);
    }

    [Theory]
    [InlineData("SET", "w", "2")]
    [InlineData("DEL", "w")]
    [InlineData("EXPIRE", "w", "100")]
    [InlineData("PERSIST", "w")]
    [InlineData("RENAME", "w", "z")]
    [InlineData("RENAME", "y", "w")]
    [InlineData("APPEND", "w", "x")]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHDB")]
    [InlineData("SORT", "nolist", "STORE", "w")]
    public void WatchedKey_ChangedByAnyWrite_FailsTheTransaction_AndNothingApplies(params string[] change)
    {
        var log = new Log();
        log.Do("SET", "w", "1", "PX", "1000000");
        log.Do("SET", "y", "other");
        var watch = log.Watch("w");
        log.Do(change);
        Assert.IsType<NullReply>(log.Exec([watch], ["SET", "applied", "1"]));
        Assert.Null(log.Store.Keys.Find(B("applied")));
    }

    [Theory]
    [InlineData("SET", "other", "2")]
    [InlineData("DEL", "other")]
    [InlineData("GET", "w")]
    [InlineData("EXISTS", "w")]
    public void WatchedKey_NotChanged_TransactionApplies(params string[] unrelated)
    {
        var log = new Log();
        log.Do("SET", "w", "1");
        log.Do("SET", "other", "1");
        var watch = log.Watch("w");
        log.Do(unrelated);
        Assert.IsType<ArrayReply>(log.Exec([watch], ["SET", "applied", "1"]));
        Assert.NotNull(log.Store.Keys.Find(B("applied")));
    }

    // Redis reads the sources of the *STORE commands with lookupKeyRead and signals only the destination; SMOVE of a member
    // the source does not hold signals nothing. Each of these broke a WATCH on the source (found 2026-12-06, checked
    // against redis-server 7.0.15 with redis-py: it applies EXEC in every case).
    [Theory]
    [InlineData("SINTERSTORE", "d", "w", "other")]
    [InlineData("SUNIONSTORE", "d", "w", "other")]
    [InlineData("SDIFFSTORE", "d", "w", "other")]
    [InlineData("ZINTERSTORE", "d", "2", "w", "other")]
    [InlineData("ZUNIONSTORE", "d", "2", "w", "other")]
    [InlineData("ZDIFFSTORE", "d", "2", "w", "other")]
    [InlineData("SMOVE", "w", "other", "absent")]
    public void WatchedSource_ReadByAStoreCommandOrAnSmoveThatMovesNothing_IsNotChanged(params string[] command)
    {
        var log = new Log();
        var zset = command[0].StartsWith('Z');
        log.Do(zset ? ["ZADD", "w", "1", "a", "2", "b"] : ["SADD", "w", "a", "b"]);
        log.Do(zset ? ["ZADD", "other", "1", "b"] : ["SADD", "other", "b", "c"]);
        var watch = log.Watch("w");
        log.Do(command);
        Assert.IsType<ArrayReply>(log.Exec([watch], ["SET", "applied", "1"]));
        Assert.NotNull(log.Store.Keys.Find(B("applied")));
    }

    // A write that leaves the key as it was signals nothing in Redis (checked against redis-server 7.0.15 with redis-py).
    [Theory]
    [InlineData(true, "SADD", "s", "a", "b")]
    [InlineData(true, "SREM", "s", "absent")]
    [InlineData(true, "HDEL", "h", "absent")]
    [InlineData(true, "ZREM", "z", "absent")]
    [InlineData(true, "PERSIST", "s")]
    [InlineData(true, "SADD", "h", "a")]
    [InlineData(false, "SADD", "s", "a", "new")]
    [InlineData(false, "SREM", "s", "absent", "a")]
    [InlineData(false, "HDEL", "h", "f")]
    [InlineData(false, "ZREM", "z", "a")]
    [InlineData(false, "PERSIST", "t")]
    public void WatchedKey_AWriteThatChangesNothing_IsNotChanged_OneThatChangesIt_Is(bool applies, params string[] command)
    {
        var log = new Log();
        log.Do("SADD", "s", "a", "b");
        log.Do("HSET", "h", "f", "v");
        log.Do("ZADD", "z", "1", "a");
        log.Do("SADD", "t", "a");
        log.Do("PEXPIRE", "t", "1000000");
        var watch = log.Watch(command[1]);
        log.Do(command);
        var reply = log.Exec([watch], ["SET", "applied", "1"]);
        Assert.Equal(applies, reply is ArrayReply);
    }

    // More writes that leave the key as it was, each checked against redis-server 7.0.15 with redis-py (WATCH the key,
    // another client runs the command, EXEC): Redis applies the EXEC after each no-op and aborts it after each change.
    [Theory]
    [InlineData(true, "str", "SET", "str", "x", "NX")]
    [InlineData(true, "str", "SETNX", "str", "x")]
    [InlineData(true, "str", "GETEX", "str")]
    [InlineData(true, "str", "GETEX", "str", "PERSIST")]
    [InlineData(true, "ttl", "EXPIRE", "ttl", "50", "NX")]
    [InlineData(true, "ttl", "EXPIRE", "ttl", "50", "GT")]
    [InlineData(true, "bits", "SETRANGE", "bits", "0", "")]
    [InlineData(true, "bits", "SETBIT", "bits", "7", "1")]
    [InlineData(true, "hll", "PFADD", "hll", "a")]
    [InlineData(true, "h", "HSETNX", "h", "f", "x")]
    [InlineData(true, "z", "ZADD", "z", "XX", "1", "absent")]
    [InlineData(true, "z", "ZADD", "z", "GT", "0", "a")]
    [InlineData(true, "z", "ZADD", "z", "NX", "5", "a")]
    [InlineData(true, "z", "ZINCRBY", "z", "0", "a")]
    [InlineData(true, "z", "ZPOPMIN", "z", "0")]
    [InlineData(true, "z", "ZREMRANGEBYSCORE", "z", "10", "20")]
    [InlineData(true, "z", "ZREMRANGEBYRANK", "z", "5", "6")]
    [InlineData(true, "s", "SPOP", "s", "0")]
    [InlineData(true, "l", "LREM", "l", "0", "absent")]
    [InlineData(true, "l", "LINSERT", "l", "BEFORE", "absent", "x")]
    [InlineData(true, "str", "RENAME", "str", "str")]
    [InlineData(true, "str", "RENAMENX", "str", "ttl")]
    [InlineData(true, "ttl", "RENAMENX", "ttl", "str")]
    [InlineData(true, "str", "COPY", "other", "str")]
    [InlineData(true, "str", "COPY", "str", "fresh")]
    [InlineData(true, "str", "GETEX", "str", "PX", "0")]
    [InlineData(true, "x", "XDEL", "x", "9-9")]
    [InlineData(true, "x", "XACK", "x", "g", "1-1")]
    [InlineData(false, "x", "XDEL", "x", "1-1")]
    [InlineData(false, "x", "XACK", "x", "g", "2-1")]
    [InlineData(true, "l", "LPOP", "l", "0")]
    [InlineData(true, "l", "RPOP", "l", "0")]
    [InlineData(false, "l", "RPOP", "l", "1")]
    [InlineData(false, "str", "SET", "str", "x")]
    [InlineData(false, "ttl", "GETEX", "ttl", "PERSIST")]
    [InlineData(false, "str", "GETEX", "str", "EX", "100")]
    [InlineData(false, "ttl", "EXPIRE", "ttl", "5000", "GT")]
    [InlineData(false, "bits", "SETRANGE", "bits", "0", "x")]
    [InlineData(false, "bits", "SETBIT", "bits", "6", "1")]
    [InlineData(false, "hll", "PFADD", "hll", "b")]
    [InlineData(false, "h", "HSETNX", "h", "g", "x")]
    [InlineData(false, "z", "ZADD", "z", "GT", "9", "a")]
    [InlineData(false, "z", "ZINCRBY", "z", "1", "a")]
    [InlineData(false, "z", "ZPOPMIN", "z", "1")]
    [InlineData(false, "z", "ZREMRANGEBYSCORE", "z", "0", "20")]
    [InlineData(false, "s", "SPOP", "s", "1")]
    [InlineData(false, "l", "LREM", "l", "0", "a")]
    [InlineData(false, "l", "LINSERT", "l", "BEFORE", "a", "x")]
    [InlineData(false, "str", "RENAME", "str", "moved")]
    [InlineData(false, "str", "COPY", "other", "str", "REPLACE")]
    public void WatchedKey_MoreWritesThatChangeNothing_AreNotChanges(bool applies, string watched, params string[] command)
    {
        var log = new Log();
        log.Do("SET", "str", "v");
        log.Do("SET", "other", "o");
        log.Do("SET", "ttl", "v", "EX", "1000");
        log.Do("SET", "bits", "\u0001");
        log.Do("SETBIT", "bits", "7", "1");
        log.Do("PFADD", "hll", "a");
        log.Do("HSET", "h", "f", "v");
        log.Do("ZADD", "z", "1", "a");
        log.Do("SADD", "s", "a", "b");
        log.Do("RPUSH", "l", "a", "b");
        log.Do("XADD", "x", "1-1", "f", "v");
        log.Do("XADD", "x", "2-1", "f", "v");
        log.Do("XGROUP", "CREATE", "x", "g", "1-1");
        log.Do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">");
        var watch = log.Watch(watched);
        log.Do(command);
        var reply = log.Exec([watch], ["SET", "applied", "1"]);
        Assert.Equal(applies, reply is ArrayReply);
    }

    // Read as sources, not opened for writing, an expired source is still removed when a *STORE applies, as Redis's
    // lookup removes it on the master.
    [Theory]
    [InlineData("SINTERSTORE", "d", "e", "other")]
    [InlineData("ZUNIONSTORE", "d", "2", "e", "other")]
    public void AnExpiredSource_OfAStoreCommand_IsRemoved(params string[] command)
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(command[0][0] == 'Z' ? CommandId.Zadd : CommandId.Sadd, 1, 0, command[0][0] == 'Z' ? [B("e"), B("1"), B("x")] : [B("e"), B("x")]));
        store.Apply(new LogCommand(CommandId.Pexpire, 1, 0, [B("e"), B("10")]));
        Assert.NotNull(store.Keys.Find(B("e")));
        store.Apply(new LogCommand(Enum.Parse<CommandId>(command[0], ignoreCase: true), Start, 0, [.. command.Skip(1).Select(B)]));
        Assert.Null(store.Keys.Find(B("e")));
    }

    [Fact]
    public void WatchedSource_ThatSmoveTakesAMemberFrom_IsChanged()
    {
        var log = new Log();
        log.Do("SADD", "w", "a", "b");
        var watch = log.Watch("w");
        log.Do("SMOVE", "w", "other", "a");
        Assert.IsType<NullReply>(log.Exec([watch], ["SET", "applied", "1"]));
        Assert.Equal("(integer) 1", ReplyText.Render(log.Store.Read(CommandId.Scard, [B("w")], Start)));
    }

    [Fact]
    public void WatchedSet_ThatSmoveFindsAlreadyHoldingTheMember_IsNotChanged_AndTheTransactionApplies()
    {
        // Redis signals SMOVE's destination only when the member is added (the suite's "SMOVE only notify dstset when
        // the addition is successful"); a move that adds it still conflicts.
        var log = new Log();
        log.Do("SADD", "src", "a", "b");
        log.Do("SADD", "dst", "a");
        var watch = log.Watch("dst");
        Assert.Equal("(integer) 1", ReplyText.Render(log.Do("SMOVE", "src", "dst", "a")));
        Assert.IsType<ArrayReply>(log.Exec([watch], ["SADD", "dst", "c"]));
        Assert.Equal("(integer) 2", ReplyText.Render(log.Do("SCARD", "dst")));

        watch = log.Watch("dst");
        log.Do("SMOVE", "src", "dst", "b");
        Assert.IsType<NullReply>(log.Exec([watch], ["SADD", "dst", "d"]));
    }

    [Fact]
    public void WatchedMissingKey_CreatedAndDeletedMeanwhile_Conflicts_ButAFlushOfOtherKeysDoesNot()
    {
        var log = new Log();
        log.Do("SET", "other", "1");
        var watch = log.Watch("m");
        log.Do("FLUSHALL");
        Assert.IsType<ArrayReply>(log.Exec([watch]));

        watch = log.Watch("m");
        log.Do("SET", "m", "1");
        log.Do("DEL", "m");
        Assert.IsType<NullReply>(log.Exec([watch]));

        watch = log.Watch("m");
        log.Do("SET", "m", "1");
        log.Do("FLUSHALL");
        Assert.IsType<NullReply>(log.Exec([watch]));
    }

    [Fact]
    public void WatchedLiveKey_ExpiredByExecTime_Conflicts()
    {
        var log = new Log();
        log.Do("SET", "w", "1", "PX", "100");
        var watch = log.Watch("w");
        Assert.True(watch.WasLive);
        log.Now += 200;
        Assert.IsType<NullReply>(log.Exec([watch], ["SET", "applied", "1"]));
    }

    [Fact]
    public void WatchedStaleKey_DeletedAsExpired_DoesNotConflict_ButRecreatedDoes()
    {
        var log = new Log();
        log.Do("SET", "x", "1", "PX", "1");
        log.Now += 10;
        var watch = log.Watch("x");
        Assert.False(watch.WasLive);
        log.Do("EXPIRESWEEP", "x");
        Assert.Null(log.Store.Keys.Find(B("x")));
        Assert.IsType<ArrayReply>(log.Exec([watch]));

        log.Do("SET", "x", "1", "PX", "1");
        log.Now += 10;
        watch = log.Watch("x");
        log.Do("FLUSHDB");
        Assert.IsType<ArrayReply>(log.Exec([watch]));

        log.Do("SET", "x", "1", "PX", "1");
        log.Now += 10;
        watch = log.Watch("x");
        log.Do("SET", "x", "2");
        Assert.IsType<NullReply>(log.Exec([watch]));
    }

    [Fact]
    public void WatchedMissingKey_AfterATombstoneIsDropped_ConflictsConservatively()
    {
        var log = new Log();
        var watch = log.Watch("m");
        for (var i = 0; i <= Tombstones.Capacity; i++)
            log.Do("SET", "k" + i, "v");
        log.Do("FLUSHALL");
        Assert.True(log.Store.Keys.Tombstones.Horizon > 0);
        Assert.IsType<NullReply>(log.Exec([watch]));

        // Below capacity, DELs keep every tombstone and leave the horizon alone.
        var horizon = log.Store.Keys.Tombstones.Horizon;
        watch = log.Watch("m");
        for (var i = 0; i < 10; i++)
        {
            log.Do("SET", "k" + i, "v");
            log.Do("DEL", "k" + i);
        }

        Assert.Equal(horizon, log.Store.Keys.Tombstones.Horizon);
        Assert.IsType<ArrayReply>(log.Exec([watch]));
    }

    [Fact]
    public void Revisions_AndTombstones_SurviveASnapshot_AndTheRestoredReplicaDecidesAlike()
    {
        var replayed = new Log();
        replayed.Do("SET", "a", "1");
        replayed.Do("SET", "b", "1");
        replayed.Do("DEL", "b");
        var watchA = replayed.Watch("a");
        var watchB = replayed.Watch("b");
        var bytes = Snapshot(replayed.Store, replayed.Index);
        var installed = new Log(Restore(bytes).Store, replayed.Index, replayed.Now);
        Assert.Equal(bytes, Snapshot(installed.Store, installed.Index));
        Assert.Equal(watchA, installed.Watch("a") with { Key = watchA.Key });
        Assert.Equal(watchB.Revision, installed.Watch("b").Revision);

        foreach (var replica in new[] { replayed, installed })
        {
            replica.Do("SET", "b", "again");
            Assert.IsType<NullReply>(replica.Exec([watchA, watchB], ["SET", "c", "1"]));
            Assert.IsType<ArrayReply>(replica.Exec([watchA], ["SET", "c", "1"]));
        }

        Assert.Equal(Snapshot(replayed.Store, replayed.Index), Snapshot(installed.Store, installed.Index));
        Assert.Equal(replayed.Store.Digest(), installed.Store.Digest());
    }

    [Fact]
    public void NestedBatchOrTransaction_IsRefused()
    {
        var log = new Log();
        var inner = TransactionEntry.Encode(Start, 0, [], []);
        var outer = TransactionEntry.Encode(Start, 0, [], [inner]);
        var reply = log.Store.ApplyTransaction(outer, 1, 0);
        Assert.StartsWith("(error) ERR nested", ReplyText.Render(((ArrayReply)reply).Items[0]));
    }

    /// <summary>A store driven as the applier drives it: one log index per entry, the leader's WATCH between entries.</summary>
    private sealed class Log(KeyValueStore store, long index, long now)
    {
        public Log()
            : this(new KeyValueStore(), 0, Start)
        {
        }

        public KeyValueStore Store { get; } = store;

        public long Index { get; private set; } = index;

        public long Now { get; set; } = now;

        public Reply Do(params string[] request) => Store.Apply(Command(request), ++Index);

        public WatchedKey Watch(string key) => Store.Watch(B(key), Now);

        public Reply Exec(WatchedKey[] watches, params string[][] requests) =>
            Store.ApplyTransaction(TransactionEntry.Encode(Now, 0, watches, [.. requests.Select(Command)]), ++Index, 0);

        private LogCommand Command(string[] request)
        {
            var id = request[0] == "EXPIRESWEEP"
                ? CommandId.ExpireSweep
                : CommandTable.TryGet(B(request[0]), out var spec) ? spec.Id : throw new ArgumentException(request[0]);
            return KeyValueStore.ToLogForm(new LogCommand(id, Now, 0, [.. request.Skip(1).Select(B)]));
        }
    }
}
