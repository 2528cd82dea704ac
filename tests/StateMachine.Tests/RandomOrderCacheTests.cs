using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Numbers;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// HRANDFIELD and ZRANDMEMBER choose in ordinal order, which a hashtable hash and a skiplist sorted set now keep until a
/// field or member is added or removed, instead of sorting on every call. The choice must stay the one the sorted
/// members give, before and after changes (a stale order would choose a removed member, or never a new one).
/// </summary>
public sealed class RandomOrderCacheTests
{
    [Fact]
    public void ChoicesFollowTheCurrentMembers_ThroughAddsRemovesAndNewScores()
    {
        var store = new KeyValueStore();
        var members = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 1000; i++)
        {
            var name = "m" + i.ToString(CultureInfo.InvariantCulture);
            members.Add(name);
            store.Apply(new LogCommand(CommandId.Zadd, 1, 0, [B("z"), B(i.ToString(CultureInfo.InvariantCulture)), B(name)]));
            store.Apply(new LogCommand(CommandId.Hset, 1, 0, [B("h"), B(name), B("v" + i.ToString(CultureInfo.InvariantCulture))]));
        }

        var random = new Random(5);
        for (ulong seed = 1; seed <= 300; seed++)
        {
            switch (random.Next(4))
            {
                case 0:
                    var added = "n" + seed.ToString(CultureInfo.InvariantCulture);
                    members.Add(added);
                    store.Apply(new LogCommand(CommandId.Zadd, 2, 0, [B("z"), B("5"), B(added)]));
                    store.Apply(new LogCommand(CommandId.Hset, 2, 0, [B("h"), B(added), B("x")]));
                    break;
                case 1:
                    var removed = members.ElementAt(random.Next(members.Count));
                    members.Remove(removed);
                    store.Apply(new LogCommand(CommandId.Zrem, 2, 0, [B("z"), B(removed)]));
                    store.Apply(new LogCommand(CommandId.Hdel, 2, 0, [B("h"), B(removed)]));
                    break;
                case 2:
                    // A new score or value keeps the members, and so the order.
                    var member = members.ElementAt(random.Next(members.Count));
                    store.Apply(new LogCommand(CommandId.Zadd, 2, 0, [B("z"), B("-3"), B(member)]));
                    store.Apply(new LogCommand(CommandId.Hset, 2, 0, [B("h"), B(member), B("changed")]));
                    break;
            }

            var expected = members.ElementAt(new DeterministicRandom(seed).Next(members.Count));
            Assert.Equal(expected, Text(store.Apply(new LogCommand(CommandId.Zrandmember, 3, seed, [B("z")]))));
            Assert.Equal(expected, Text(store.Apply(new LogCommand(CommandId.Hrandfield, 3, seed, [B("h")]))));

            var three = ((ArrayReply)store.Apply(new LogCommand(CommandId.Zrandmember, 3, seed, [B("z"), B("3")]))).Items;
            var positions = RandomChoice.Distinct(members.Count, 3, new DeterministicRandom(seed));
            Assert.Equal(positions.Select(p => members.ElementAt(p)), three.Select(Text));
        }

        Assert.Equal(members, ((ArrayReply)store.Read(CommandId.Hkeys, [B("h")], 3)).Items.Select(Text));
    }

    private static string Text(Reply reply) => System.Text.Encoding.ASCII.GetString(((BulkReply)reply).Value);
}
