using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Values;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// APPEND writes into room left after a long string (<see cref="StringValue.Append"/>) instead of copying the whole string
/// each time: 20,000 APPENDs of 1 KB took 500 s on a 3-node cluster (1.6 s on redis-server). Values stay immutable: every
/// earlier value reads as it was, and appending to an earlier value again copies instead of overwriting a later one.
/// </summary>
public sealed class StringAppendTests
{
    [Fact]
    public void ManyAppends_WriteIntoFewBuffers_AndEveryEarlierValueStaysAsItWas()
    {
        var value = StringValue.Of(new byte[300]);
        var values = new List<StringValue> { value };
        int copies = 0;
        for (int i = 0; i < 2000; i++)
        {
            var tail = Enumerable.Repeat((byte)(i % 251), 1000).ToArray();
            var next = StringValue.Append(value, tail);
            copies += SameBuffer(value, next) ? 0 : 1;
            value = next;
            values.Add(value);
        }

        // Doubling below 1 MB, then 1 MB (or an eighth) more: 2 MB of appends copy the string a dozen times (2,000 before).
        Assert.InRange(copies, 1, 12);
        for (int i = 0; i < values.Count; i++)
        {
            var span = values[i].Span;
            Assert.Equal(300 + (i * 1000), span.Length);
            for (int j = 1; j <= i; j++)
                Assert.True(span.Slice(300 + ((j - 1) * 1000), 1000).IndexOfAnyExcept((byte)((j - 1) % 251)) < 0, $"value {i} part {j}");
        }
    }

    [Fact]
    public void AppendingToAnEarlierValue_CopiesIt_AndLeavesTheLaterValueAlone()
    {
        var first = StringValue.Append(StringValue.Of(new byte[1000]), "a"u8);
        var later = StringValue.Append(first, "bb"u8);
        var branch = StringValue.Append(first, "ccc"u8);

        Assert.Equal([.. new byte[1000], .. "abb"u8.ToArray()], later.Span.ToArray());
        Assert.Equal([.. new byte[1000], .. "accc"u8.ToArray()], branch.Span.ToArray());
        Assert.Equal(1001, first.Length);
        Assert.True(SameBuffer(first, later));
        Assert.False(SameBuffer(first, branch));

        // A value's Bytes never show the room after it, and a copy is its own.
        Assert.Equal(later.Span.ToArray(), later.Bytes);
        Assert.Equal(1003, later.Bytes.Length);
    }

    [Fact]
    public void AppendedStrings_ReadBack_KeepTheirTtl_AndSurviveASnapshot()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.Set, 1, 0, [B("k"), new byte[500], B("PX"), B("100000")]));
        var expected = new List<byte>(new byte[500]);
        for (int i = 0; i < 300; i++)
        {
            var tail = B("part" + i);
            expected.AddRange(tail);
            var reply = store.Apply(new LogCommand(CommandId.Append, 2, 0, [B("k"), tail]));
            Assert.Equal(expected.Count, ((IntegerReply)reply).Value);
        }

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        foreach (var current in new[] { store, restored })
        {
            Assert.Equal(expected.ToArray(), ((BulkReply)current.Read(CommandId.Get, [B("k")], 2)).Value);
            Assert.InRange(((IntegerReply)current.Read(CommandId.Pttl, [B("k")], 2)).Value, 1, 100000);
        }
    }

    private static bool SameBuffer(StringValue earlier, StringValue later) =>
        Unsafe.AreSame(ref MemoryMarshal.GetReference(earlier.Span), ref MemoryMarshal.GetReference(later.Span));
}
