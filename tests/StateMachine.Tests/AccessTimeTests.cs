using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A key's last access time (OBJECT IDLETIME) is kept per key but is not replicated state: reads on one replica change
/// it, so it must stay out of the digest and the snapshot, which replicas compare and exchange.
/// </summary>
public sealed class AccessTimeTests
{
    [Fact]
    public void ObjectIdleTime_IsSecondsSinceTheLastWriteOrRead_NotCountingTypeExistsTtlObject()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 10_000, "k", "v");

        Assert.Equal(5, Idle(store, "k", 15_500));
        store.Read(CommandId.Type, [B("k")], 20_000);
        store.Read(CommandId.Exists, [B("k")], 20_000);
        store.Read(CommandId.Ttl, [B("k")], 20_000);
        Assert.Equal(10, Idle(store, "k", 20_000));

        store.Read(CommandId.Get, [B("k")], 30_000);
        Assert.Equal(2, Idle(store, "k", 32_000));
        store.Read(CommandId.Touch, [B("k")], 40_000);
        Assert.Equal(0, Idle(store, "k", 40_999));
        store.Apply(CommandId.Append, 50_000, "k", "w");
        Assert.Equal(1, Idle(store, "k", 51_000));
    }

    [Fact]
    public void AccessTime_StaysOutOfDigestAndSnapshot()
    {
        var read = new KeyValueStore();
        var unread = new KeyValueStore();
        foreach (var store in new[] { read, unread })
        {
            store.Apply(CommandId.Set, 1_000, "s", "v");
            store.Apply(CommandId.Rpush, 1_000, "l", "a", "b");
        }

        read.Read(CommandId.Get, [B("s")], 900_000);
        read.Read(CommandId.Lrange, [B("l"), B("0"), B("-1")], 900_000);
        Assert.NotEqual(Idle(read, "s", 900_000), Idle(unread, "s", 900_000));

        Assert.Equal(unread.Digest(), read.Digest());
        Assert.Equal(Snapshot(unread), Snapshot(read));

        // A restored key counts as accessed when the snapshot's last entry applied.
        var restored = Restore(Snapshot(read)).Store;
        Assert.Equal(4, Idle(restored, "s", 5_000));
    }

    private static long Idle(KeyValueStore store, string key, long now) =>
        ((IntegerReply)store.Read(CommandId.Object, [B("IDLETIME"), B(key)], now)).Value;
}
