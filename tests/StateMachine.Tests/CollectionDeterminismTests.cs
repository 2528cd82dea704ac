using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using RaftKV.StateMachine.Values;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// DESIGN "Determinism rules" for the collection types: random writes (SPOP) draw from the entry's seed
/// among members in canonical order, so a replica restored from a snapshot (whose sets, hashes and sorted
/// sets are rebuilt in another insertion order and possibly another representation) pops the same members.
/// </summary>
public sealed class CollectionDeterminismTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomCollectionWrites_ReplicaRestoredFromSnapshot_RepliesAndDigestsMatch(int seed)
    {
        var random = new Random(seed);
        var steady = new KeyValueStore();
        var restarted = new KeyValueStore();
        for (var i = 0; i < 3000; i++)
        {
            if (i % 700 == 350)
            {
                restarted = Restore(Snapshot(restarted)).Store;
            }

            var command = Next(random, i);
            var left = ReplyText.Render(steady.Apply(command));
            var right = ReplyText.Render(restarted.Apply(command));
            Assert.Equal(left, right);
        }

        Assert.Equal(steady.Digest(), restarted.Digest());
        Assert.Equal(Snapshot(steady), Snapshot(restarted));
    }

    [Fact]
    public void Spop_SameSeed_SameMembersWhateverTheInsertionOrder()
    {
        var first = new KeyValueStore();
        var second = new KeyValueStore();
        first.Apply(CommandId.Sadd, 1, "s", "a", "b", "c", "d", "e", "f");
        second.Apply(CommandId.Sadd, 1, "s", "f", "e", "d", "c", "b", "a");
        var popFirst = first.Apply(new LogCommand(CommandId.Spop, 2, 42, [B("s"), B("3")]));
        var popSecond = second.Apply(new LogCommand(CommandId.Spop, 2, 42, [B("s"), B("3")]));
        Assert.Equal(ReplyText.Render(popFirst), ReplyText.Render(popSecond));
        Assert.Equal(first.Digest(), second.Digest());
    }

    [Fact]
    public void SkipList_AgreesWithSortedModel()
    {
        var random = new Random(7);
        var zset = SortedSetValue.Create(1000, 0);
        var model = new SortedDictionary<(double, string), bool>();
        var scores = new Dictionary<string, double>();
        for (var i = 0; i < 5000; i++)
        {
            var member = "m" + random.Next(300).ToString(CultureInfo.InvariantCulture);
            if (random.Next(3) == 0)
            {
                Assert.Equal(scores.Remove(member, out var old) && model.Remove((old, member)), zset.Remove(B(member)));
            }
            else
            {
                var score = random.Next(50);
                if (scores.Remove(member, out var old))
                {
                    model.Remove((old, member));
                }

                scores[member] = score;
                model[(score, member)] = true;
                zset.Set(B(member), score);
            }

            var expected = model.Keys.ToList();
            Assert.Equal(expected.Count, zset.Count);
            var probe = random.Next(Math.Max(1, expected.Count));
            if (expected.Count > 0)
            {
                var element = zset.At(probe);
                Assert.Equal(expected[probe], (element.Score, System.Text.Encoding.UTF8.GetString(element.Member)));
                Assert.Equal(probe, zset.RankOf(element.Member));
                Assert.Equal(expected.Count(e => e.Item1 < 25), zset.CountBelowScore(25, inclusive: false));
            }
        }

        Assert.Equal("skiplist", zset.Encoding);
    }

    private static LogCommand Next(Random random, int index)
    {
        var key = "k" + random.Next(4).ToString(CultureInfo.InvariantCulture);
        string Member() => random.Next(3) == 0 ? random.Next(100).ToString(CultureInfo.InvariantCulture) : "m" + random.Next(40).ToString(CultureInfo.InvariantCulture);
        (CommandId Id, string[] Args) command = random.Next(10) switch
        {
            0 or 1 => (CommandId.Sadd, [key, Member(), Member(), Member()]),
            2 => (CommandId.Spop, random.Next(2) == 0 ? [key] : [key, random.Next(5).ToString(CultureInfo.InvariantCulture)]),
            3 => (CommandId.Hset, [key, Member(), Member()]),
            4 => (CommandId.Zadd, [key, random.Next(10).ToString(CultureInfo.InvariantCulture), Member()]),
            5 => (CommandId.Zpopmin, [key]),
            6 => (CommandId.Rpush, [key, Member()]),
            7 => (CommandId.Sinterstore, [key, "k" + random.Next(4).ToString(CultureInfo.InvariantCulture), key]),
            8 => (CommandId.Zunionstore, [key, "2", key, "k1"]),
            _ => (CommandId.Del, [key]),
        };
        return new LogCommand(command.Id, 1000 + index, (ulong)random.NextInt64(), [.. command.Args.Select(B)]);
    }
}
