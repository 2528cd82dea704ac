using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// XDEL of an entry in the front half of a stream moves the entries before it and the head, not every later entry
/// (StreamValue.Delete): deletes from the front, the back and the middle, interleaved with XADD and XTRIM, must leave
/// what a plain list of ids leaves, through a snapshot too.
/// </summary>
public sealed class StreamDeleteTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void DeletesAnywhere_LeaveTheEntriesAPlainListLeaves(int seed)
    {
        var random = new Random(seed);
        var store = new KeyValueStore();
        var model = new List<long>();
        long next = 1;
        for (var step = 0; step < 3000; step++)
        {
            var roll = random.Next(10);
            if (roll < 5 || model.Count == 0)
            {
                store.Apply(new LogCommand(CommandId.Xadd, 1, 0, [B("s"), B(next.ToString(CultureInfo.InvariantCulture) + "-0"), B("f"), B("v")]));
                model.Add(next++);
            }
            else if (roll < 9)
            {
                // The oldest, the newest, or any: a queue's pattern and the rest.
                var at = random.Next(3) switch { 0 => 0, 1 => model.Count - 1, _ => random.Next(model.Count) };
                var reply = store.Apply(new LogCommand(CommandId.Xdel, 1, 0, [B("s"), B(model[at].ToString(CultureInfo.InvariantCulture) + "-0")]));
                Assert.Equal(1, ((IntegerReply)reply).Value);
                model.RemoveAt(at);
            }
            else
            {
                var keep = random.Next(model.Count + 1);
                store.Apply(new LogCommand(CommandId.Xtrim, 1, 0, [B("s"), B("MAXLEN"), B(keep.ToString(CultureInfo.InvariantCulture))]));
                model.RemoveRange(0, model.Count - keep);
            }

            if (step % 500 == 499)
                AssertEntries(store, model);
        }

        AssertEntries(store, model);
        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        AssertEntries(restored, model);
    }

    private static void AssertEntries(KeyValueStore store, List<long> model)
    {
        var entries = (ArrayReply)store.Read(CommandId.Xrange, [B("s"), B("-"), B("+")], 1);
        Assert.Equal(
            model.Select(id => id.ToString(CultureInfo.InvariantCulture) + "-0"),
            entries.Items.Select(e => System.Text.Encoding.ASCII.GetString(((BulkReply)((ArrayReply)e).Items[0]).Value)));
        Assert.Equal(model.Count, ((IntegerReply)store.Read(CommandId.Xlen, [B("s")], 1)).Value);
    }
}
