using System.Text;
using RaftKV.Protocol.Commands;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// With <see cref="KeyValueStore.RecordsValuesBefore"/>, each key a command changes comes with the string it held before
/// the command (gRPC Watch's prev_kv), from the state itself: none for a key that was absent, had expired, held another
/// type, or was flushed earlier in the command.
/// </summary>
public sealed class WatchBeforeTests
{
    // The store's clock is the latest entry time applied: later steps use later times.
    private const long Now = 1_000_000;

    [Fact]
    public void EachChangedKey_ComesWithTheStringItHeldBeforeTheCommand()
    {
        var store = new KeyValueStore { RecordsKeyChanges = true, RecordsValuesBefore = true };

        store.Apply(CommandId.Set, Now, "k", "v1");
        Assert.Equal([("k", null)], Taken(store));

        // A key may be recorded more than once (found for the write, value, expiry): its first record has the value it
        // held before the command, which is what the watch history keeps.
        store.Apply(CommandId.Set, Now, "k", "v2", "PX", "100");
        Assert.Equal([("k", "v1")], First(Taken(store)));

        // Expired: logically gone, so nothing before a key created anew (SET finds it for the write, SETEX puts over it)...
        store.Apply(CommandId.Set, Now + 200, "k", "v3");
        Assert.Equal([("k", null)], First(Taken(store)));
        store.Apply(CommandId.Set, Now + 300, "e", "old", "PX", "100");
        Taken(store);
        store.Apply(CommandId.Setex, Now + 500, "e", "10", "new");
        Assert.Equal([("e", null)], First(Taken(store)));

        // ... but an expired key's deletion has it as its previous value, as etcd's deletion of a lease's expired key.
        store.Apply(CommandId.Set, Now + 600, "x", "last", "PX", "100");
        Taken(store);
        store.Apply(CommandId.Del, Now + 800, "x");
        store.TakeKeyChanges();
        Assert.True(store.WatchBefore(0, existsAfter: false, out var expiredValue, out _));
        Assert.Equal("last", Encoding.ASCII.GetString(expiredValue));

        store.Apply(CommandId.Rpush, Now, "list", "a");
        Taken(store);
        store.Apply(CommandId.Append, Now, "k", "+");
        Assert.Equal([("k", "v3")], First(Taken(store)));
        store.Apply(CommandId.Del, Now, "k", "list");
        var (deleted, _) = store.TakeKeyChanges();
        Assert.True(store.WatchBefore(0, existsAfter: false, out var before, out _));
        Assert.Equal("v3+", Encoding.ASCII.GetString(before));
        Assert.False(store.WatchBefore(deleted.Count - 1, existsAfter: false, out _, out _)); // the list
        store.ReleaseWatchBefore(); // once recorded, the replaced values are let go
        Assert.False(store.WatchBefore(0, existsAfter: false, out _, out _));

        store.Apply(CommandId.Mset, Now, "a", "1", "b", "2");
        Taken(store);
        store.Apply(CommandId.Flushall, Now);
        var (keys, flushed) = store.TakeKeyChanges();
        Assert.True(flushed);
        for (var i = 0; i < keys.Count; i++)
            Assert.False(store.WatchBefore(i, existsAfter: false, out _, out _));
    }

    // A write's steps on one key (found for the write, value replaced, expiry set) record it once, with the value before
    // the command: each record was a copy of the key, and the watch hub then dropped the repeats through a set.
    [Fact]
    public void AWriteRecordsItsKeyOnce_WithTheValueBeforeIt_AndOtherKeysInBetweenKeepTheirPlaces()
    {
        var store = new KeyValueStore { RecordsKeyChanges = true, RecordsValuesBefore = true };
        store.Apply(CommandId.Set, Now, "k", "v1");
        Taken(store);

        store.Apply(CommandId.Set, Now, "k", "v2", "PX", "100");
        Assert.Equal([("k", "v1")], Taken(store));

        // Not consecutive: both places stay (the consumers keep the first), as before.
        store.Apply(CommandId.Mset, Now, "k", "v3", "j", "w", "k", "v4");
        Assert.Equal([("k", "v2"), ("j", null), ("k", "v3")], Taken(store));
    }

    [Fact]
    public void WithoutRecordsValuesBefore_NothingIsCaptured()
    {
        var store = new KeyValueStore { RecordsKeyChanges = true };
        store.Apply(CommandId.Set, Now, "k", "v1");
        store.Apply(CommandId.Set, Now, "k", "v2");
        var (keys, _) = store.TakeKeyChanges();
        Assert.NotEmpty(keys);
        for (var i = 0; i < keys.Count; i++)
            Assert.False(store.WatchBefore(i, existsAfter: false, out _, out _));
    }

    private static List<(string Key, string? Before)> First(List<(string Key, string? Before)> taken) =>
        [.. taken.DistinctBy(static change => change.Key)];

    private static List<(string Key, string? Before)> Taken(KeyValueStore store)
    {
        var (keys, _) = store.TakeKeyChanges();
        var taken = new List<(string, string?)>();
        for (var i = 0; i < keys.Count; i++)
            taken.Add((Encoding.ASCII.GetString(keys[i]), store.WatchBefore(i, existsAfter: true, out var value, out _) ? Encoding.ASCII.GetString(value) : null));
        return taken;
    }
}
