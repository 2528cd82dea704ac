using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

public sealed class DigestTests
{
    [Fact]
    public void Digest_EmptyStore_IsTwentyZeroBytes()
    {
        Assert.Equal(new byte[20], new KeyValueStore().Digest());
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1, "a", "b");
        store.Apply(CommandId.Del, 1, "a");
        Assert.Equal(new byte[20], store.Digest());
    }

    [Fact]
    public void Digest_DifferentInsertionOrders_AreEqual()
    {
        var first = new KeyValueStore();
        first.Apply(CommandId.Set, 1, "a", "1");
        first.Apply(CommandId.Set, 1, "b", "2", "PXAT", "500");
        first.Apply(CommandId.Set, 1, "c", "3");
        var second = new KeyValueStore();
        second.Apply(CommandId.Set, 9, "c", "3");
        second.Apply(CommandId.Mset, 9, "a", "0", "b", "2");
        second.Apply(CommandId.Set, 9, "b", "2", "PXAT", "500");
        second.Apply(CommandId.Incr, 9, "a");
        Assert.Equal(first.Digest(), second.Digest());
        Assert.NotEqual(new byte[20], first.Digest());
    }

    [Fact]
    public void Digest_DiffersWhenValueKeyOrExpiryDiffers()
    {
        var baseline = Store("k", "v").Digest();
        Assert.NotEqual(baseline, Store("k", "w").Digest());
        Assert.NotEqual(baseline, Store("j", "v").Digest());
        Assert.NotEqual(baseline, Store("k", "v", "PXAT", "99").Digest());
    }

    [Fact]
    public void Digest_CollectionMemberOrder_DoesNotMatter()
    {
        var first = SnapshotTests.SampleStore();
        var restored = Restore(Snapshot(first)).Store;
        Assert.Equal(first.Digest(), restored.Digest());
    }

    [Fact]
    public void DigestValue_MissingKey_IsZeros_AndIgnoresKeyName()
    {
        var store = Store("k", "v");
        store.Apply(CommandId.Set, 1, "other", "v");
        Assert.Equal(new byte[20], store.DigestValue(B("missing")));
        Assert.Equal(store.DigestValue(B("k")), store.DigestValue(B("other")));
        Assert.NotEqual(new byte[20], store.DigestValue(B("k")));
        Assert.NotEqual(store.DigestValue(B("k")), Store("k", "w").DigestValue(B("k")));
    }

    private static KeyValueStore Store(params string[] setArguments)
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1, setArguments);
        return store;
    }
}
