using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Function libraries as replicated state: FUNCTION DUMP/RESTORE in Redis 7.0's payload format (one produced by
/// redis-server 7.0.15, with an LZF-compressed library, restores here), snapshots (libraries survive, compiled again
/// on first call), equal replicas, and the budget bounding a load or a call without partial effects.
/// (Replies and errors of every subcommand are in Scripts/functions.txt.)
/// </summary>
public sealed class FunctionTests
{
    // FUNCTION DUMP of redis-server 7.0.15 after loading MyLib and Other below (libraries in its dict order; the second
    // code LZF-compressed, as rdbSaveRawString compresses strings over 20 bytes).
    private const string RedisDumpHex =
        "f5404723216c7561206e616d653d6f746865720a72656469732e72656769737465725f66756e6374696f6e28276f31272c2066756e6374696f6e28292072657475726e203120656e6429f5c340d541111f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e6374696f6e28276d79400b02272c20400660121f6b6579732c2061726773292072657475726e202768656c6c6f2066726f6d202704202e2e2028401e145b315d206f7220276e6f626f6479272920656e6429e00f69007bc05f005f6095207701726f20750863616c6c6261636b3dc01e607ee0007880b640240428276765742030409d2078606c20b4056c6167733d7b2082112d777269746573277d2c206465736372697040cc053d277265616420150a00d8bbe9893f43b88d";

    private const string MyLib =
        "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 'hello from ' .. (args[1] or 'nobody') end)\n"
        + "redis.register_function{function_name='myro', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}";

    private const string Other = "#!lua name=other\nredis.register_function('o1', function() return 1 end)";

    private const string ExpectedList =
        "[[\"library_name\", \"mylib\", \"engine\", \"LUA\", \"functions\", [[\"name\", \"myfunc\", \"description\", (nil), \"flags\", []], "
        + "[\"name\", \"myro\", \"description\", \"reads\", \"flags\", [no-writes]]]], "
        + "[\"library_name\", \"other\", \"engine\", \"LUA\", \"functions\", [[\"name\", \"o1\", \"description\", (nil), \"flags\", []]]]]";

    [Fact]
    public void Restore_PayloadDumpedByRedis_LoadsEveryLibrary()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Render(Function(store, "RESTORE", Convert.FromHexString(RedisDumpHex))));
        Assert.Equal(ExpectedList, Render(Read(store, "LIST")));
        Assert.Equal("\"hello from raft\"", Render(Call(store, CommandId.Fcall, "myfunc", "0", "raft")));
        Assert.Equal("(integer) 1", Render(Call(store, CommandId.Fcall, "o1", "0")));
    }

    [Fact]
    public void Dump_OfLoadedLibraries_IsRedisFormatInNameOrder_AndRestoresAlike()
    {
        var store = Loaded();
        var dump = ((BulkReply)Read(store, "DUMP")).Value;

        // Opcode 245, the code as a plain RDB string (14-bit length), per library in name order; RDB version 10; CRC-64.
        Assert.Equal(0xF5, dump[0]);
        Assert.Equal(10, dump[^10]);
        Assert.Equal(MyLib, System.Text.Encoding.UTF8.GetString(dump, 3, MyLib.Length));

        var other = new KeyValueStore();
        Assert.Equal("OK", Render(Function(other, "RESTORE", dump)));
        Assert.Equal(ExpectedList, Render(Read(other, "LIST")));
        Assert.Equal(dump, ((BulkReply)Read(other, "DUMP")).Value);
    }

    [Fact]
    public void Restore_Policies_AppendRefusesCollisions_ReplaceSwaps_FlushReplacesAll()
    {
        var store = Loaded();
        var dump = ((BulkReply)Read(store, "DUMP")).Value;
        Assert.Equal("(error) ERR Library mylib already exists", Render(Function(store, "RESTORE", dump)));
        Assert.Equal("OK", Render(Function(store, "RESTORE", dump, "REPLACE")));

        // A library of another name registering o1 makes REPLACE fail on the function, and nothing changes.
        Function(store, "FLUSH");
        Function(store, "LOAD", B("#!lua name=third\nredis.register_function('o1', function() return 3 end)"));
        Assert.Equal("(error) ERR Function o1 already exists", Render(Function(store, "RESTORE", dump, "REPLACE")));
        Assert.Equal("(integer) 3", Render(Call(store, CommandId.Fcall, "o1", "0")));
        Assert.Equal("(error) ERR Function not found", Render(Call(store, CommandId.Fcall, "myfunc", "0")));

        Assert.Equal("OK", Render(Function(store, "RESTORE", dump, "FLUSH")));
        Assert.Equal(ExpectedList, Render(Read(store, "LIST")));
        Assert.Equal("(error) ERR DUMP payload version or checksum are wrong", Render(Function(store, "RESTORE", B("bad"))));
        Assert.Equal(ExpectedList, Render(Read(store, "LIST")));
    }

    [Fact]
    public void Snapshot_KeepsLibraries_WhichRunAfterRestore_AndGiveEqualSnapshots()
    {
        var store = Loaded();
        Call(store, CommandId.Fcall, "myfunc", "0");
        var bytes = Snapshot(store);
        var restored = Restore(bytes).Store;
        Assert.Equal(ExpectedList, Render(Read(restored, "LIST")));
        Assert.Equal(bytes, Snapshot(restored));
        Assert.Equal("\"hello from snapshot\"", Render(Call(restored, CommandId.Fcall, "myfunc", "0", "snapshot")));
        store.Apply(CommandId.Set, 2000, "k", "v");
        restored.Apply(CommandId.Set, 2000, "k", "v");
        Assert.Equal("\"v\"", Render(restored.Read(CommandId.FcallRo, [B("myro"), B("1"), B("k")], 2000)));

        // The sliced snapshot writes the same bytes as the stop-the-world one.
        var incremental = store.BeginSnapshot(7, 3);
        using var output = new MemoryStream();
        while (!incremental.Advance(10))
        {
        }

        incremental.Drain(output);
        Assert.Equal(Snapshot(store), output.ToArray());
    }

    [Fact]
    public void Load_EndlessCode_IsStoppedByTheBudget_AndNothingIsRegistered()
    {
        var store = Loaded();
        var reply = Function(store, "LOAD", B("#!lua name=slow\nlocal a = 1 while true do a = a + 1 end"));
        Assert.Equal("(error) ERR Error registering functions: ERR FUNCTION LOAD timeout", Render(reply));
        Assert.Equal(ExpectedList, Render(Read(store, "LIST")));
        Assert.Equal("(integer) 1", Render(Call(store, CommandId.Fcall, "o1", "0")));
    }

    [Fact]
    public void Call_EndlessFunction_IsStoppedByTheBudget_AndItsWritesAreRolledBack()
    {
        var store = new KeyValueStore();
        Function(store, "LOAD", B("#!lua name=spin\nredis.register_function('spin', function(keys) redis.call('set', keys[1], 'partial') while true do end end)"));
        store.Apply(CommandId.Set, 1000, "k", "before");
        var reply = Call(store, CommandId.Fcall, "spin", "1", "k");
        Assert.StartsWith("ERR Script exceeded", ((ErrorReply)reply).Message, StringComparison.Ordinal);
        Assert.Equal("\"before\"", Render(store.Read(CommandId.Get, [B("k")], 1000)));
    }

    [Fact]
    public void Replicas_ApplyingTheSameEntries_AgreeOnLibrariesAndKeys()
    {
        var code = "#!lua name=rnd\nredis.register_function('fill', function(keys) local t = {} for i = 1, 200 do t['k' .. i] = i end "
                   + "for k, v in pairs(t) do redis.call('rpush', keys[1], k .. ':' .. v .. ':' .. math.random(1000)) end return #t end)";
        var replicas = new[] { new KeyValueStore(), new KeyValueStore() };
        foreach (var replica in replicas)
        {
            replica.Apply(new LogCommand(CommandId.Function, 1000, 1, [B("LOAD"), B(code)]));
            replica.Apply(new LogCommand(CommandId.Fcall, 1001, 42, [B("fill"), B("1"), B("list")]));
        }

        var restored = Restore(Snapshot(replicas[0])).Store;
        restored.Apply(new LogCommand(CommandId.Fcall, 1002, 43, [B("fill"), B("1"), B("list")]));
        replicas[1].Apply(new LogCommand(CommandId.Fcall, 1002, 43, [B("fill"), B("1"), B("list")]));
        Assert.Equal(Convert.ToHexString(replicas[1].Digest()), Convert.ToHexString(restored.Digest()));
        Assert.Equal(Snapshot(replicas[1]), Snapshot(restored));
    }

    private static KeyValueStore Loaded()
    {
        var store = new KeyValueStore();
        Assert.Equal("\"other\"", Render(Function(store, "LOAD", B(Other))));
        Assert.Equal("\"mylib\"", Render(Function(store, "LOAD", B(MyLib))));
        return store;
    }

    private static Reply Function(KeyValueStore store, string sub, params byte[][] args) =>
        store.Apply(new LogCommand(CommandId.Function, 1000, 0, [B(sub), .. args]));

    private static Reply Function(KeyValueStore store, string sub, byte[] payload, string policy) => Function(store, sub, payload, B(policy));

    private static Reply Read(KeyValueStore store, string sub) => store.Read(CommandId.Function, [B(sub)], 1000);

    private static Reply Call(KeyValueStore store, CommandId command, params string[] args) =>
        store.Apply(new LogCommand(command, 1000, 0, [.. args.Select(B)]));

    private static string Render(Reply reply) => ReplyText.Render(reply);
}
