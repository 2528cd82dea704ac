using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>The cluster secret (ClusterSecretSet entries, snapshot version 5): set once, alike on every replica.</summary>
public sealed class ClusterSecretTests
{
    private static readonly byte[] First = [.. Enumerable.Range(1, 32).Select(static i => (byte)i)];
    private static readonly byte[] Second = [.. Enumerable.Range(101, 32).Select(static i => (byte)i)];

    [Fact]
    public void FirstCommittedSecret_Stays_ALaterOneChangesNothing()
    {
        var store = new KeyValueStore();
        Assert.Null(store.ClusterSecret);

        Assert.Equal("(integer) 1", ReplyText.Render(store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [First]))));
        Assert.Equal("(integer) 0", ReplyText.Render(store.Apply(new LogCommand(CommandId.ClusterSecretSet, 2000, 0, [Second]))));

        Assert.Equal(First, store.ClusterSecret);
    }

    [Fact]
    public void EmptyOrOversizedSecret_IsRefused_AndNothingIsSet()
    {
        var store = new KeyValueStore();
        Assert.NotNull(KeyValueStore.Validate(CommandId.ClusterSecretSet, [[]]));
        Assert.StartsWith("(error) ERR", ReplyText.Render(store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [[]]))));
        Assert.StartsWith("(error) ERR", ReplyText.Render(store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [new byte[1025]]))));
        Assert.StartsWith("(error) ERR", ReplyText.Render(store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [First, Second]))));
        Assert.Null(store.ClusterSecret);
    }

    [Fact]
    public void ClusterSecretSet_IsNotAClientCommand()
    {
        Assert.False(CommandTable.TryGet("clustersecretset"u8, out _));
        Assert.True(CommandTable.TryGetEntry(CommandId.ClusterSecretSet, out var spec));
        Assert.True(spec.IsWrite);
    }

    [Fact]
    public void Snapshot_KeepsTheSecret_WrittenWholeOrInSlices()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v");
        store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [First]));

        var whole = Snapshot(store);
        Assert.Equal(6, whole[8]);
        Assert.Equal(First, Restore(whole).Store.ClusterSecret);

        var sliced = store.BeginSnapshot(7, 3);
        while (!sliced.Advance(1))
        {
        }

        var output = new MemoryStream();
        sliced.Drain(output);
        Assert.Equal(whole, output.ToArray());
    }

    [Fact]
    public void Flushall_KeepsTheSecret()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [First]));
        store.Apply(CommandId.Set, 1000, "k", "v");
        Assert.Equal("OK", ReplyText.Render(store.Apply(CommandId.Flushall, 1000)));
        Assert.Equal(0, store.KeyCount);
        Assert.Equal(First, store.ClusterSecret);
    }

    // DEBUG DIGEST compares replicas' data; the secret is compared by the nodes' tests, and never feeds a reply.
    [Fact]
    public void Digest_DoesNotDependOnTheSecret()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v");
        var before = store.Digest();
        store.Apply(new LogCommand(CommandId.ClusterSecretSet, 1000, 0, [First]));
        Assert.Equal(before, store.Digest());
    }
}
