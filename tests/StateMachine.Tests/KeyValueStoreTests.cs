using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

public sealed class KeyValueStoreTests
{
    [Fact]
    public void Apply_ClockNeverGoesBackwards_AndNoOpOnlyAdvancesIt()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v", "PX", "100");
        Assert.Equal("OK", ReplyText.Render(store.Apply(CommandId.NoOp, 5000)));
        Assert.Equal(5000, store.Now);
        store.Apply(CommandId.NoOp, 10);
        Assert.Equal(5000, store.Now);
        // The entry is stamped 10 but applies at 5000: PX counts from the clamped clock.
        store.Apply(CommandId.Set, 10, "j", "v", "PX", "100");
        Assert.Equal("\"v\"", ReplyText.Render(store.Read(CommandId.Get, [B("j")], 5099)));
        Assert.Equal("(nil)", ReplyText.Render(store.Read(CommandId.Get, [B("j")], 5100)));
        Assert.Equal(2, store.KeyCount);
    }

    [Fact]
    public void Apply_UnknownCommandOrBadArguments_ReturnsErrorAndChangesNothing()
    {
        var store = SnapshotTests.SampleStore();
        var before = Snapshot(store);
        string[] replies =
        [
            ReplyText.Render(store.Apply(new LogCommand((CommandId)9999, 2000, 0, [B("k")]))),
            ReplyText.Render(store.Apply(CommandId.Set, 2000, "k")),
            ReplyText.Render(store.Apply(CommandId.Set, 2000, "k", "v", "NX", "XX")),
            ReplyText.Render(store.Apply(CommandId.Incrby, 2000, "s", "x")),
            ReplyText.Render(store.Apply(CommandId.Mset, 2000, "a", "1", "b")),
            ReplyText.Render(store.Apply(CommandId.Incr, 2000, "list")),
            ReplyText.Render(store.Apply(CommandId.Set, 2000, "s", "v", "PX", "9223372036854775807")),
        ];
        Assert.All(replies, reply => Assert.StartsWith("(error) ", reply));
        Assert.Equal(before, Snapshot(store));
    }

    [Fact]
    public void Read_NeverChangesState_EvenOnExpiredKeys()
    {
        var store = SnapshotTests.SampleStore();
        var before = Snapshot(store);
        var keys = new[] { "s", "ttl", "expired", "list", "hash", "zset", "missing" };
        foreach (var key in keys)
        {
            store.Read(CommandId.Get, [B(key)], 99_999);
            store.Read(CommandId.Exists, [B(key)], 99_999);
            store.Read(CommandId.Type, [B(key)], 99_999);
            store.Read(CommandId.Getrange, [B(key), B("0"), B("-1")], 99_999);
        }

        store.Read(CommandId.Keys, [B("*")], 99_999);
        store.Read(CommandId.Scan, [B("0")], 99_999);
        Assert.Equal(before, Snapshot(store));
        Assert.Equal("(nil)", ReplyText.Render(store.Read(CommandId.Get, [B("ttl")], 9000)));
        Assert.Equal("\"v\"", ReplyText.Render(store.Read(CommandId.Get, [B("ttl")], 8999)));
    }

    [Fact]
    public void Read_WriteCommand_IsRefusedWithoutApplying()
    {
        var store = new KeyValueStore();
        var reply = ReplyText.Render(store.Read(CommandId.Set, [B("k"), B("v")], 0));
        Assert.StartsWith("(error) ERR", reply);
        Assert.Equal(0, store.KeyCount);
    }

    [Fact]
    public void Read_BeforeStoreClock_UsesStoreClock()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v", "PXAT", "1500");
        store.Apply(CommandId.NoOp, 2000);
        Assert.Equal("(nil)", ReplyText.Render(store.Read(CommandId.Get, [B("k")], 1200)));
    }

    [Theory]
    [InlineData(CommandId.Set, "k v EX 10", null)]
    [InlineData(CommandId.Set, "k v BAD", "ERR syntax error")]
    [InlineData(CommandId.Incrby, "k 1.5", "ERR value is not an integer or out of range")]
    [InlineData(CommandId.Scan, "-x", "ERR invalid cursor")]
    [InlineData(CommandId.Get, "", "ERR wrong number of arguments for 'get' command")]
    [InlineData(CommandId.Setrange, "k -1 v", "ERR offset is out of range")]
    [InlineData(CommandId.Ping, "", "ERR unknown command id 100")]
    public void Validate_ChecksWithoutState(CommandId command, string arguments, string? error)
    {
        var args = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(B).ToArray();
        var reply = KeyValueStore.Validate(command, args);
        Assert.Equal(error, reply is null ? null : ReplyText.Render(reply)["(error) ".Length..]);
    }
}
