using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Keys of up to 23 bytes live inside their entry, longer ones in an array: every length around the limit, with zero
/// and 0xFF bytes, must be found, listed, renamed, deleted and survive a snapshot byte for byte.
/// </summary>
public sealed class KeyTableTests
{
    [Fact]
    public void EveryKeyLengthAroundTheInlineLimit_IsFoundListedAndRoundTripsThroughASnapshot()
    {
        var store = new KeyValueStore();
        var keys = Enumerable.Range(0, 32)
            .Select(static length => Enumerable.Range(0, length).Select(static i => (byte)(i % 3 == 0 ? 0 : i % 3 == 1 ? 0xFF : 'a' + i)).ToArray())
            .ToList();
        foreach (var key in keys)
        {
            store.Apply(new LogCommand(CommandId.Set, 1, 0, [key, B("v" + key.Length)]));
        }

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        foreach (var current in new[] { store, restored })
        {
            Assert.Equal(keys.Count, current.KeyCount);
            var listed = ((ArrayReply)current.Read(CommandId.Keys, [B("*")], 1)).Items.Cast<BulkReply>().Select(static r => Convert.ToHexString(r.Value));
            Assert.Equal(keys.Select(Convert.ToHexString).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
            foreach (var key in keys)
            {
                Assert.Equal(B("v" + key.Length), ((BulkReply)current.Read(CommandId.Get, [key], 1)).Value);
            }
        }

        foreach (var key in keys)
        {
            store.Apply(new LogCommand(CommandId.Rename, 1, 0, [key, [.. key, (byte)'!']]));
            Assert.IsType<NullReply>(store.Read(CommandId.Get, [key], 1));
            Assert.Equal(B("v" + key.Length), ((BulkReply)store.Read(CommandId.Get, [[.. key, (byte)'!']], 1)).Value);
            Assert.Equal(1, ((IntegerReply)store.Apply(new LogCommand(CommandId.Del, 1, 0, [[.. key, (byte)'!']]))).Value);
        }

        Assert.Equal(0, store.KeyCount);
    }
}
