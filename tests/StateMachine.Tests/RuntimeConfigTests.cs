using System.Buffers.Binary;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>CONFIG SET as a ConfigSet entry: Redis's checks, all-or-nothing apply, encodings, snapshot version 3.</summary>
public sealed class RuntimeConfigTests
{
    [Theory]
    [InlineData("ERR Unknown option or number of arguments for CONFIG SET - 'no-such'", "no-such", "1")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config", "databases", "4")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value", "maxmemory", "lots")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'", "appendonly", "maybe")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer", "timeout", "1.5")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive", "timeout", "-1")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", "notify-keyspace-events", "Q")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction", "maxmemory-policy", "lru")]
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters", "save", "10")]
    // A bad value is reported under the name it was set by, alias included, in lower case, as Redis 7.0 does
    // (found by the differential test).
    [InlineData("ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer", "HASH-MAX-ZIPLIST-ENTRIES", "x")]
    public void TryParse_BadRequest_GivesRedisError(string expected, string name, string value)
    {
        Assert.False(RuntimeConfig.TryParse([B(name), B(value)], out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_RepeatedName_IsADuplicate_ButNameAndAlias_AreNot_AndTheLastWins()
    {
        Assert.False(RuntimeConfig.TryParse([B("timeout"), B("1"), B("TIMEOUT"), B("2")], out _, out var error));
        Assert.Equal("ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter", error);

        // Redis 7.0 registers an alias as an entry of its own: setting both is no duplicate, and the later one wins.
        var store = new KeyValueStore();
        Assert.Equal(Reply.Ok, store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0,
            [B("hash-max-listpack-entries"), B("1"), B("HASH-MAX-ZIPLIST-ENTRIES"), B("2")])));
        Assert.Equal("2", Get(store, "hash-max-listpack-entries"));
    }

    [Fact]
    public void Apply_SeveralParameters_WithOneBad_ChangesNone()
    {
        var store = new KeyValueStore();
        var reply = store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("maxmemory"), B("1mb"), B("timeout"), B("x")]));
        Assert.IsType<ErrorReply>(reply);
        Assert.True(store.Config.IsDefault);

        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("maxmemory"), B("1mb"), B("notify-keyspace-events"), B("KEA")]));
        Assert.Equal("1048576", Get(store, "maxmemory"));
        Assert.Equal("AKE", Get(store, "notify-keyspace-events"));
    }

    [Theory]
    [InlineData("hash-max-listpack-entries", "0", CommandId.Hset, "hashtable", "h", "f", "v")]
    [InlineData("hash-max-ziplist-value", "1", CommandId.Hset, "hashtable", "h", "f", "vv")]
    [InlineData("zset-max-listpack-entries", "0", CommandId.Zadd, "skiplist", "z", "1", "m")]
    [InlineData("zset-max-ziplist-value", "1", CommandId.Zadd, "skiplist", "z", "1", "mm")]
    [InlineData("set-max-intset-entries", "0", CommandId.Sadd, "hashtable", "s", "1")]
    public void ConfigSet_EncodingThreshold_DecidesTheRepresentation(string name, string value, CommandId command, string encoding, params string[] args)
    {
        var defaults = new KeyValueStore();
        defaults.Apply(command, 1000, args);
        Assert.NotEqual(encoding, Encoding(defaults, args[0]));

        var store = new KeyValueStore();
        Assert.Equal(Reply.Ok, store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B(name), B(value)])));
        store.Apply(command, 1000, args);
        Assert.Equal(encoding, Encoding(store, args[0]));
    }

    [Fact]
    public void Snapshot_WithConfig_IsVersion6_AndRestoresConfigAndEncodings()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v");
        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("hash-max-listpack-entries"), B("1"), B("maxmemory-policy"), B("ALLKEYS-LRU")]));
        store.Apply(CommandId.Hset, 1000, "h", "a", "1", "b", "2");

        var bytes = Snapshot(store);
        Assert.Equal(6, Version(bytes));
        var restored = Restore(bytes).Store;
        Assert.Equal("1", Get(restored, "hash-max-listpack-entries"));
        Assert.Equal("allkeys-lru", Get(restored, "maxmemory-policy"));
        Assert.Equal("hashtable", Encoding(restored, "h"));
        Assert.Equal(bytes, Snapshot(restored));
        Assert.Equal(store.Digest(), restored.Digest());
    }

    // The leader checks maxmemory on every denyoom write without the apply lock (CommandExecutor.OverMaxMemory): the
    // number it reads must follow CONFIG SET, a snapshot restore and a return to the default.
    [Fact]
    public void MaxMemoryBytes_FollowsConfigSet_SnapshotRestore_AndTheDefault()
    {
        var store = new KeyValueStore();
        Assert.Equal(0, store.Config.MaxMemoryBytes);
        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("maxmemory"), B("100mb")]));
        Assert.Equal(100L * 1024 * 1024, store.Config.MaxMemoryBytes);

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(100L * 1024 * 1024, restored.Config.MaxMemoryBytes);

        restored.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("maxmemory"), B("0")]));
        Assert.Equal(0, restored.Config.MaxMemoryBytes);
    }

    [Fact]
    public void Snapshot_IncrementalAndWhole_GiveTheSameVersion3Bytes()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("timeout"), B("30")]));
        store.Apply(CommandId.Set, 1000, "k", "v");
        var whole = Snapshot(store);
        var incremental = store.BeginSnapshot(7, 3);
        while (!incremental.Advance(1))
        {
        }

        var output = new MemoryStream();
        incremental.Drain(output);
        Assert.Equal(whole, output.ToArray());
    }

    [Fact]
    public void Config_ResetToDefault_WritesAnEmptyConfigSection()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v");
        var untouched = Snapshot(store);
        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("timeout"), B("30")]));
        Assert.NotEqual(untouched, Snapshot(store));
        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("timeout"), B("0")]));
        Assert.True(store.Config.IsDefault);
        Assert.Equal(untouched, Snapshot(store));
    }

    [Fact]
    public void Config_IsNotInTheDigest()
    {
        var store = new KeyValueStore();
        var before = store.Digest();
        store.Apply(new LogCommand(CommandId.ConfigSet, 1000, 0, [B("timeout"), B("30")]));
        Assert.Equal(before, store.Digest());
    }

    private static string Get(KeyValueStore store, string name) =>
        ConfigParameters.TryFind(name, out var parameter) ? store.Config.Get(parameter) : "?";

    private static string Encoding(KeyValueStore store, string key) =>
        ReplyText.Render(store.Read(CommandId.Object, [B("ENCODING"), B(key)], 1000)).Trim('"');

    private static int Version(byte[] snapshot) => BinaryPrimitives.ReadUInt16LittleEndian(snapshot.AsSpan(8));
}
