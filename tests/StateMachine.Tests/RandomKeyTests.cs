using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// RANDOMKEY draws a key and draws again while it has expired (GenericCommands.RandomKey), instead of listing every live
/// key per call: it must still answer only live keys, reach all of them, answer alike on every replica, and find the
/// one live key among thousands of expired ones.
/// </summary>
public sealed class RandomKeyTests
{
    private const long Now = 1_000_000;

    private static KeyValueStore Store(int live, int expired)
    {
        var store = new KeyValueStore();
        for (var i = 0; i < live + expired; i++)
        {
            var key = B("key:" + i.ToString(CultureInfo.InvariantCulture));
            // Expired keys get a TTL that has passed by Now (no sweep runs in between).
            store.Apply(new LogCommand(CommandId.Set, 1, 0, i < live ? [key, B("v")] : [key, B("v"), B("PX"), B("10")]));
        }

        return store;
    }

    private static string? RandomKey(KeyValueStore store, ulong seed) =>
        store.Apply(new LogCommand(CommandId.Randomkey, Now, seed, [])) is BulkReply bulk ? System.Text.Encoding.ASCII.GetString(bulk.Value) : null;

    [Fact]
    public void MostlyExpiredKeyspace_AnswersOnlyLiveKeys_ReachesThemAll_AndAgreesAcrossReplicas()
    {
        var store = Store(live: 40, expired: 2000);
        var replica = Store(live: 40, expired: 2000);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (ulong seed = 1; seed <= 2000; seed++)
        {
            var key = RandomKey(store, seed);
            Assert.NotNull(key);
            Assert.True(int.Parse(key!["key:".Length..], CultureInfo.InvariantCulture) < 40, key);
            Assert.Equal(key, RandomKey(replica, seed));
            seen.Add(key);
        }

        Assert.Equal(40, seen.Count);
    }

    [Fact]
    public void OneLiveKeyAmongManyExpired_IsFound_AndNoLiveKeyIsNil()
    {
        Assert.Equal("key:0", RandomKey(Store(live: 1, expired: 5000), 7));
        Assert.Null(RandomKey(Store(live: 0, expired: 300), 7));
        Assert.Null(RandomKey(new KeyValueStore(), 7));
    }
}
