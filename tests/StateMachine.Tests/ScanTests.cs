using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

public sealed class ScanTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Scan_WithConcurrentChurn_ReturnsEveryStableKey_AndEndsAtZero(int seed)
    {
        var random = new Random(seed);
        var store = new KeyValueStore();
        for (var i = 0; i < 500; i++)
        {
            store.Apply(CommandId.Set, 1, "stable" + i, "v");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        var calls = 0;
        do
        {
            var reply = (ArrayReply)store.Read(CommandId.Scan, [B(cursor), B("COUNT"), B("7")], 1);
            cursor = System.Text.Encoding.UTF8.GetString(((BulkReply)reply.Items[0]).Value);
            foreach (var key in ((ArrayReply)reply.Items[1]).Items.Cast<BulkReply>())
            {
                seen.Add(System.Text.Encoding.UTF8.GetString(key.Value));
            }

            // Churn between calls: new keys, deleted keys, a flood that may land anywhere in the order.
            for (var j = 0; j < 20; j++)
            {
                store.Apply(CommandId.Set, 1, "churn" + random.Next(2000), "v");
                store.Apply(CommandId.Del, 1, "churn" + random.Next(2000));
            }

            calls++;
        }
        while (cursor != "0" && calls < 10_000);

        Assert.Equal("0", cursor);
        Assert.All(Enumerable.Range(0, 500), i => Assert.Contains("stable" + i, seen));
    }

    [Fact]
    public void Keys_OrderSurvivesSnapshotRestore()
    {
        var store = new KeyValueStore();
        for (var i = 0; i < 100; i++)
        {
            store.Apply(CommandId.Set, 1, "k" + (i * 7 % 100), "v");
        }

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(
            ReplyText.Render(store.Read(CommandId.Keys, [B("*")], 1)),
            ReplyText.Render(restored.Read(CommandId.Keys, [B("*")], 1)));
    }
}
