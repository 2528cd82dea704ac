using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Ordering;
using RaftKV.StateMachine.Text;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A large set's ordinal order (OrdinalIndex) is kept in step with its adds and removes in a leaf list instead of a
/// sorted list that moved its tail on every SADD and SREM once SMEMBERS, SRANDMEMBER or SPOP had built it. It must stay
/// exactly ordinal order (members sharing long prefixes, empty, 0x00 and 0xFF bytes), and random draws by index
/// (ElementAt, now a binary search over the leaves) must pick what the sorted members give.
/// </summary>
public sealed class OrdinalIndexTests
{
    private static byte[] RandomMember(Random random)
    {
        var prefix = random.Next(3) switch { 0 => "", 1 => "member:", _ => "a-long-shared-prefix:" };
        var tail = new byte[random.Next(4)];
        for (var i = 0; i < tail.Length; i++)
        {
            tail[i] = random.Next(4) switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(256) };
        }

        return [.. B(prefix), .. tail];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AddsAndRemoves_KeepOrdinalOrder_AndElementAtReadsIt(int seed)
    {
        var random = new Random(seed);
        var model = new SortedSet<byte[]>(ByteStringComparer.Instance);
        for (var i = 0; i < 3000; i++)
        {
            model.Add(RandomMember(random));
        }

        var index = OrdinalIndex.Build(model);
        for (var round = 0; round < 40; round++)
        {
            for (var i = 0; i < 200; i++)
            {
                var member = random.Next(3) == 0 && model.Count > 0 ? model.ElementAt(random.Next(model.Count)) : RandomMember(random);
                if (random.Next(2) == 0)
                {
                    Assert.Equal(model.Add(member), index.Add(new OrdinalSlot(member)));
                }
                else
                {
                    Assert.Equal(model.Remove(member), index.Remove(new OrdinalSlot(member)));
                }
            }

            var sorted = model.ToArray();
            Assert.Equal(sorted, index.Members.ToArray());
            Assert.Equal(sorted.Length, index.Members.Count);
            for (var i = 0; i < 50; i++)
            {
                var at = random.Next(sorted.Length);
                Assert.Equal(sorted[at], index.Members[at]);
            }
        }
    }

    [Fact]
    public void SetChoices_AfterTheOrderIsBuilt_FollowAddsAndRemoves()
    {
        var store = new KeyValueStore();
        var members = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 2000; i++)
        {
            var name = "m" + i.ToString(CultureInfo.InvariantCulture);
            members.Add(name);
            store.Apply(CommandId.Sadd, 1, "s", name);
        }

        store.Read(CommandId.Smembers, [B("s")], 1);
        var random = new Random(9);
        for (ulong seed = 1; seed <= 300; seed++)
        {
            if (random.Next(2) == 0)
            {
                var added = "n" + random.Next(500).ToString(CultureInfo.InvariantCulture);
                members.Add(added);
                store.Apply(CommandId.Sadd, 2, "s", added);
            }
            else
            {
                var removed = members.ElementAt(random.Next(members.Count));
                members.Remove(removed);
                store.Apply(CommandId.Srem, 2, "s", removed);
            }

            var expected = members.ElementAt(new DeterministicRandom(seed).Next(members.Count));
            Assert.Equal(expected, Text(store.Apply(new LogCommand(CommandId.Srandmember, 3, seed, [B("s")]))));
            if (seed % 10 == 0)
            {
                Assert.Equal(expected, Text(store.Apply(new LogCommand(CommandId.Spop, 3, seed, [B("s")]))));
                members.Remove(expected);
            }
        }

        Assert.Equal(members.ToArray(), ((SetReply)store.Read(CommandId.Smembers, [B("s")], 4)).Items.Select(Text).ToArray());
    }

    private static string Text(Reply reply) => System.Text.Encoding.UTF8.GetString(((BulkReply)reply).Value);
}
