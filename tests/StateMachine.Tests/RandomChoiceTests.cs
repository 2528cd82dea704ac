using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Numbers;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// RandomChoice.Distinct keeps only the positions its shuffle moved: it must draw exactly the positions the whole-array
/// Fisher-Yates shuffle drew (SPOP, SRANDMEMBER, HRANDFIELD and ZRANDMEMBER choose with it, and a replica running either
/// must choose alike), without an array of every position.
/// </summary>
public sealed class RandomChoiceTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(10, 10, 2)]
    [InlineData(1000, 3, 3)]
    [InlineData(1000, 999, 4)]
    [InlineData(1_000_000, 50, 5)]
    public void Distinct_DrawsWhatTheWholeArrayShuffleDrew(int size, int count, ulong seed)
    {
        Assert.Equal(WholeArray(size, count, new DeterministicRandom(seed)), RandomChoice.Distinct(size, count, new DeterministicRandom(seed)));
        Assert.Equal(count, RandomChoice.Distinct(size, count, new DeterministicRandom(seed)).Distinct().Count());
    }

    // SPOP with a count drops the canonical list instead of moving it per member: the members popped and the set left must
    // not depend on whether that list existed before (a replica that served SMEMBERS, and one that did not).
    [Fact]
    public void SpopWithACount_PopsAlike_WithOrWithoutTheCanonicalListBuilt()
    {
        var stores = new[] { new KeyValueStore(), new KeyValueStore() };
        foreach (var store in stores)
        {
            for (var i = 0; i < 2000; i += 100)
                store.Apply(new LogCommand(CommandId.Sadd, 1, 0, [B("s"), .. Enumerable.Range(i, 100).Select(n => B("m" + n))]));
        }

        stores[0].Read(CommandId.Smembers, [B("s")], 1);
        var popped = stores.Select(store => Members(store.Apply(new LogCommand(CommandId.Spop, 2, 99, [B("s"), B("100")])))).ToArray();
        Assert.Equal(100, popped[0].Distinct().Count());
        Assert.Equal(popped[0], popped[1]);
        var left = stores.Select(store => Members(store.Read(CommandId.Smembers, [B("s")], 2))).ToArray();
        Assert.Equal(1900, left[0].Length);
        Assert.Equal(left[0], left[1]);
        Assert.Equal(left[0].Order(StringComparer.Ordinal), left[0]);
        Assert.Empty(left[0].Intersect(popped[0]));
        Assert.Equal(stores[0].Digest(), stores[1].Digest());
    }

    private static string[] Members(Reply reply) =>
        (reply is SetReply set ? set.Items : ((ArrayReply)reply).Items)
            .Select(item => System.Text.Encoding.ASCII.GetString(((BulkReply)item).Value)).ToArray();

    // The shuffle as it was written before (an array of every position), kept here as the reference.
    private static int[] WholeArray(int size, int count, DeterministicRandom random)
    {
        var positions = Enumerable.Range(0, size).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = i + random.Next(size - i);
            (positions[i], positions[j]) = (positions[j], positions[i]);
        }

        return positions[..count];
    }
}
