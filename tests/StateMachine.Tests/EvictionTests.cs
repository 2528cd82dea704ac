using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// maxmemory-policy: the leader chooses keys (<see cref="KeyValueStore.EvictionCandidates"/>, Redis's approximations)
/// and every replica applies the <see cref="CommandId.Evict"/> entry naming them alike.
/// </summary>
public sealed class EvictionTests
{
    private const long Now = 10_000_000;

    private static KeyValueStore WithPolicy(string policy)
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.ConfigSet, Now, "maxmemory-policy", policy);
        return store;
    }

    private long _index;

    // Applied as the entry after the previous one, so each write gets its own revision, as in the log.
    private Protocol.Replies.Reply Do(KeyValueStore store, CommandId command, params string[] arguments) =>
        store.Apply(new Log.LogCommand(command, Now, 0, [.. arguments.Select(B)]), ++_index);

    // A key's revision as the leader reads it when it chooses (RAFTKV.GETREV).
    private static string Rev(KeyValueStore store, string key) =>
        ((Protocol.Replies.IntegerReply)((Protocol.Replies.ArrayReply)store.Read(CommandId.RaftkvGetrev, [B(key)], Now)).Items[1]).Value
        .ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static List<string> Chosen(KeyValueStore store, long need, int max, ulong seed = 7, long now = Now) =>
        store.EvictionCandidates(now, seed, need, max).Select(c => Encoding.ASCII.GetString(c.Key)).ToList();

    [Fact]
    public void Evict_DeletesPresentKeys_WithAnEvictedEvent_AndCountsThem()
    {
        var store = WithPolicy("allkeys-random");
        Do(store, CommandId.ConfigSet, "maxmemory", "1000", "notify-keyspace-events", "Ee");
        Do(store, CommandId.Set, "a", "1");
        Do(store, CommandId.Set, "b", "2");
        store.TakePublished();

        Assert.Equal("(integer) 1", ReplyText.Render(Do(store, CommandId.Evict, "allkeys", "a", Rev(store, "a"), "missing", "0")));
        Assert.Equal(1, store.KeyCount);
        Assert.Equal(1, store.EvictedKeyCount);
        var events = store.TakePublished().Select(m => Encoding.ASCII.GetString(m.Channel) + " " + Encoding.ASCII.GetString(m.Message)).ToList();
        Assert.Equal(["__keyevent@0__:evicted a"], events);
    }

    [Fact]
    public void Evict_UnderAVolatilePolicy_SparesAKeyThatLostItsExpiry()
    {
        var store = WithPolicy("volatile-lru");
        Do(store, CommandId.ConfigSet, "maxmemory", "1000");
        Do(store, CommandId.Set, "a", "1", "PX", "100000");
        Do(store, CommandId.Set, "b", "1", "PX", "100000");
        var (a, b) = (Rev(store, "a"), Rev(store, "b"));
        Do(store, CommandId.Persist, "b"); // between the leader's choice and the entry
        Assert.Equal("(integer) 1", ReplyText.Render(Do(store, CommandId.Evict, "volatile", "a", a, "b", b)));
        Assert.Equal(1, store.KeyCount);
        Assert.Equal("\"1\"", ReplyText.Render(store.Read(CommandId.Get, [B("b")], Now)));
    }

    [Fact]
    public void Evict_SparesAKeyWrittenSinceTheChoice_AndDoesNothingOnceEvictionIsOff()
    {
        var store = WithPolicy("allkeys-lru");
        Do(store, CommandId.ConfigSet, "maxmemory", "1000");
        Do(store, CommandId.Set, "a", "1");
        Do(store, CommandId.Set, "b", "1");
        var chosen = store.EvictionCandidates(Now, 3, long.MaxValue, 10).SelectMany(c => new[] { Encoding.ASCII.GetString(c.Key), c.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
        Assert.Equal(4, chosen.Length);
        Do(store, CommandId.Set, "b", "written after the choice: used, and acknowledged");
        Assert.Equal("(integer) 1", ReplyText.Render(Do(store, CommandId.Evict, ["allkeys", .. chosen])));
        Assert.Equal(0, store.Read(CommandId.Exists, [B("a")], Now) is Protocol.Replies.IntegerReply { Value: 1 } ? 1 : 0);
        Assert.Equal(1, store.KeyCount);

        Do(store, CommandId.Set, "c", "1");
        var again = store.EvictionCandidates(Now, 3, long.MaxValue, 10).SelectMany(c => new[] { Encoding.ASCII.GetString(c.Key), c.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
        Do(store, CommandId.ConfigSet, "maxmemory", "0"); // committed before the Evict entry
        Assert.Equal("(integer) 0", ReplyText.Render(Do(store, CommandId.Evict, ["allkeys", .. again])));
        Assert.Equal(2, store.KeyCount);
    }

    [Fact]
    public void Evict_RefusesAnUnknownScope_AndAVolatilePolicyCommittedSinceSparesKeysWithoutExpiry()
    {
        var store = WithPolicy("allkeys-lru");
        Do(store, CommandId.ConfigSet, "maxmemory", "1000");
        Do(store, CommandId.Set, "plain", "1");
        Do(store, CommandId.Set, "ttl", "1", "PX", "100000");
        var (plain, ttl) = (Rev(store, "plain"), Rev(store, "ttl"));
        Assert.StartsWith("-ERR", Do(store, CommandId.Evict, "everything", "plain", plain).ToString(), StringComparison.Ordinal);
        Assert.Equal(2, store.KeyCount);

        Do(store, CommandId.ConfigSet, "maxmemory-policy", "volatile-lru"); // between the choice and the entry
        Assert.Equal("(integer) 1", ReplyText.Render(Do(store, CommandId.Evict, "allkeys", "plain", plain, "ttl", ttl)));
        Assert.Equal(1, store.KeyCount);
        Assert.Equal("\"1\"", ReplyText.Render(store.Read(CommandId.Get, [B("plain")], Now)));
    }

    [Fact]
    public void Evict_IsNotAClientCommand()
    {
        Assert.False(CommandTable.TryGet("evict"u8, out _));
        Assert.NotNull(Commands.CommandValidator.Find(CommandId.Evict));
    }

    [Fact]
    public void NoEviction_ChoosesNothing()
    {
        var store = WithPolicy("noeviction");
        store.Apply(CommandId.Set, Now, "a", "1");
        Assert.Empty(Chosen(store, long.MaxValue, 10));
    }

    [Fact]
    public void VolatileTtl_ChoosesTheKeysClosestToExpiring_AndNeverAKeyWithoutExpiry()
    {
        var store = WithPolicy("volatile-ttl");
        store.Apply(CommandId.Set, Now, "late", "1", "PX", "900000");
        store.Apply(CommandId.Set, Now, "soon", "1", "PX", "1000");
        store.Apply(CommandId.Set, Now, "middle", "1", "PX", "50000");
        store.Apply(CommandId.Set, Now, "persistent", "1");
        Assert.Equal(["soon", "middle"], Chosen(store, long.MaxValue, 2));
        Assert.Equal(["soon", "middle", "late"], Chosen(store, long.MaxValue, 10));
        Assert.Equal("volatile", Encoding.ASCII.GetString(store.EvictScope));
    }

    [Fact]
    public void VolatileRandom_ChoosesOnlyKeysWithAnExpiry()
    {
        var store = WithPolicy("volatile-random");
        for (var i = 0; i < 200; i++)
            store.Apply(CommandId.Set, Now, "p" + i, "1");
        store.Apply(CommandId.Set, Now, "e1", "1", "PX", "100000");
        store.Apply(CommandId.Set, Now, "e2", "1", "PX", "100000");
        Assert.Equal(["e1", "e2"], Chosen(store, long.MaxValue, 10).Order().ToList());
    }

    [Fact]
    public void AllKeysRandom_StopsOnceTheEstimatedBytesAreFreed_AndDependsOnlyOnTheSeed()
    {
        var store = WithPolicy("allkeys-random");
        for (var i = 0; i < 100; i++)
            store.Apply(CommandId.Set, Now, "k" + i, new string('x', 100));
        var one = Chosen(store, 1, 50);
        Assert.Single(one);
        var many = Chosen(store, 1000, 50, seed: 11);
        Assert.InRange(many.Count, 2, 10);
        Assert.Equal(many, Chosen(store, 1000, 50, seed: 11));
        Assert.Equal(many.Count, many.Distinct().Count());
        Assert.Equal(100, Chosen(store, long.MaxValue, 1000).Distinct().Count());
    }

    [Fact]
    public void AllKeysLru_ChoosesTheLongestIdleOfItsSamples()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, Now - 3_600_000, "old", "1");
        store.Apply(CommandId.ConfigSet, Now, "maxmemory-policy", "allkeys-lru");
        store.Apply(CommandId.ConfigSet, Now, "maxmemory-samples", "64");
        for (var i = 0; i < 30; i++)
            store.Apply(CommandId.Set, Now, "new" + i, "1");
        Assert.Equal(["old"], Chosen(store, 1, 1));
    }

    [Fact]
    public void AllKeysLfu_ChoosesTheLeastFrequentlyUsed()
    {
        var store = WithPolicy("allkeys-lfu");
        store.Apply(CommandId.ConfigSet, Now, "maxmemory-samples", "64");
        store.Apply(CommandId.ConfigSet, Now, "lfu-log-factor", "0"); // every access counts
        for (var i = 0; i < 20; i++)
        {
            store.Apply(CommandId.Set, Now, "k" + i, "1");
            for (var reads = 0; reads < 10; reads++)
                store.Read(CommandId.Get, [B("k" + i)], Now);
        }

        store.Apply(CommandId.Set, Now, "cold", "1");
        Assert.Equal(["cold"], Chosen(store, 1, 1));
        Assert.Equal("(integer) 15", ReplyText.Render(store.Read(CommandId.Object, [B("freq"), B("k3")], Now)));
    }

    // A replica restored from a snapshot (a follower's install, a restart) counts its reads under an LFU policy before
    // any entry is applied: the key table reads the policy from the store's configuration, whichever way it was loaded.
    [Fact]
    public void LfuCounter_CountsReads_OnAStoreRestoredFromASnapshot_BeforeAnyApply()
    {
        var store = WithPolicy("allkeys-lfu");
        store.Apply(CommandId.ConfigSet, Now, "lfu-log-factor", "0");
        store.Apply(CommandId.Set, Now, "k", "1");
        var restored = Restore(Snapshot(store)).Store;
        for (var reads = 0; reads < 3; reads++)
            restored.Read(CommandId.Get, [B("k")], Now);
        Assert.Equal("(integer) 8", ReplyText.Render(restored.Read(CommandId.Object, [B("freq"), B("k")], Now)));
    }

    [Fact]
    public void LfuCounter_DecaysByTheMinutesIdle()
    {
        var store = WithPolicy("allkeys-lfu");
        store.Apply(CommandId.ConfigSet, Now, "lfu-log-factor", "0");
        store.Apply(CommandId.Set, Now, "k", "1");
        for (var reads = 0; reads < 10; reads++)
            store.Read(CommandId.Get, [B("k")], Now);
        Assert.Equal("(integer) 15", ReplyText.Render(store.Read(CommandId.Object, [B("freq"), B("k")], Now)));
        // lfu-decay-time 1: one less per idle minute.
        Assert.Equal("(integer) 12", ReplyText.Render(store.Read(CommandId.Object, [B("freq"), B("k")], Now + 3 * 60_000)));
        store.Apply(CommandId.ConfigSet, Now, "lfu-decay-time", "0");
        Assert.Equal("(integer) 15", ReplyText.Render(store.Read(CommandId.Object, [B("freq"), B("k")], Now + 3 * 60_000)));
    }

    [Fact]
    public void ObjectIdletime_UnderAnLfuPolicy_IsRedisError()
    {
        var store = WithPolicy("allkeys-lfu");
        store.Apply(CommandId.Set, Now, "k", "1");
        Assert.StartsWith("-ERR An LFU maxmemory policy is selected, idle time not tracked.", store.Read(CommandId.Object, [B("idletime"), B("k")], Now).ToString(), StringComparison.Ordinal);
        store.Apply(CommandId.ConfigSet, Now, "maxmemory-policy", "allkeys-lru");
        Assert.Equal(":0", store.Read(CommandId.Object, [B("idletime"), B("k")], Now).ToString());
    }

    [Fact]
    public void AScript_MayNotReadAccessTimesOrLfuCounters_WhichAreEachNodesOwn()
    {
        var store = WithPolicy("allkeys-lfu");
        store.Apply(CommandId.Set, Now, "k", "1");
        foreach (var sub in new[] { "freq", "idletime" })
        {
            var reply = store.Apply(CommandId.Eval, Now, $"return redis.call('object', '{sub}', KEYS[1])", "1", "k");
            Assert.Contains("This Redis command is not allowed from script", reply.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal("\"int\"", ReplyText.Render(store.Apply(CommandId.Eval, Now, "return redis.call('object', 'encoding', KEYS[1])", "1", "k")));
    }

    [Fact]
    public void LfuCounter_GrowsLogarithmically_WithTheDefaultLogFactor()
    {
        var store = WithPolicy("allkeys-lfu");
        store.Apply(CommandId.Set, Now, "k", "1");
        for (var reads = 0; reads < 1000; reads++)
            store.Read(CommandId.Get, [B("k")], Now + reads);
        var freq = long.Parse(ReplyText.Render(store.Read(CommandId.Object, [B("freq"), B("k")], Now + 1000))[10..], System.Globalization.CultureInfo.InvariantCulture);
        // Redis's table: about 18 after 1,000 hits at lfu-log-factor 10 (counter starting at 5).
        Assert.InRange(freq, 10, 30);
    }
}
