using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A collection's representation is replicated state: SMEMBERS of an intset answers in numeric order and of a hashtable
/// in ordinal order, HGETALL of a listpack hash in insertion order, HSCAN, SSCAN and ZSCAN of a small collection whole
/// and of a large one by cursor, and OBJECT ENCODING names it. Snapshots (format 5 and before) kept only the contents and
/// rebuilt the representation the limits gave, so a replica restored from one answered differently, and a script that
/// wrote what it read (applied on every replica) left the replicas with different data. Snapshot format 6 keeps it.
/// </summary>
public sealed class SnapshotRepresentationTests
{
    private static KeyValueStore Steady()
    {
        var store = new KeyValueStore();
        // A hashtable set of integers only (the non-integer that made it one is gone): an intset when rebuilt.
        store.Apply(CommandId.Sadd, 1, "s", "9", "10", "x");
        store.Apply(CommandId.Srem, 1, "s", "x");
        // A listpack hash in insertion order: in field order when rebuilt.
        store.Apply(CommandId.Hset, 1, "h", "b", "1", "a", "2");
        // A skiplist sorted set shrunk under the listpack limit: a listpack when rebuilt.
        store.Apply(CommandId.Zadd, 1, ["z", .. Enumerable.Range(0, 200).SelectMany(i => new[] { i.ToString(CultureInfo.InvariantCulture), "m" + i })]);
        store.Apply(CommandId.Zremrangebyrank, 1, "z", "0", "190");
        // A listpack hash larger than the limit set afterwards: a hashtable when rebuilt under the new limit.
        store.Apply(CommandId.Hset, 1, ["big", .. Enumerable.Range(0, 100).SelectMany(i => new[] { "f" + (99 - i), "v" })]);
        store.Apply(CommandId.Config, 1, "set", "hash-max-listpack-entries", "10");
        return store;
    }

    [Theory]
    [InlineData("'SMEMBERS', KEYS[1]", "s")]
    [InlineData("'HKEYS', KEYS[1]", "h")]
    [InlineData("'HGETALL', KEYS[1]", "h")]
    [InlineData("'HKEYS', KEYS[1]", "big")]
    [InlineData("'SSCAN', KEYS[1], 0", "s")]
    [InlineData("'ZSCAN', KEYS[1], 0", "z")]
    [InlineData("'HSCAN', KEYS[1], 0", "h")]
    [InlineData("'OBJECT', 'ENCODING', KEYS[1]", "z")]
    [InlineData("'SORT', KEYS[1], 'BY', 'nosort'", "s")]
    public void AScriptWritingWhatItReads_LeavesAReplicaRestoredFromASnapshot_AsTheOthers(string call, string key)
    {
        var steady = Steady();
        var restored = Restore(Snapshot(steady)).Store;
        Assert.Equal(steady.Digest(), restored.Digest());

        var script = $"local r = redis.call({call}) if type(r) ~= 'table' then r = {{r}} elseif type(r[2]) == 'table' then r = r[2] end "
            + "redis.call('RPUSH', 'out', unpack(r)) return r";
        var command = new LogCommand(CommandId.Eval, 2, 0, [B(script), B("1"), B(key)]);
        Assert.Equal(ReplyText.Render(steady.Apply(command)), ReplyText.Render(restored.Apply(command)));
        Assert.Equal(steady.Digest(), restored.Digest());
        Assert.Equal(Snapshot(steady), Snapshot(restored));
    }

    [Fact]
    public void EveryRepresentation_IsRestoredAsItWas_WhateverTheLimitsNow()
    {
        var steady = Steady();
        var restored = Restore(Snapshot(steady)).Store;
        foreach (var key in new[] { "s", "h", "z", "big" })
        {
            Assert.Equal(
                ReplyText.Render(steady.Read(CommandId.Object, [B("encoding"), B(key)], 2)),
                ReplyText.Render(restored.Read(CommandId.Object, [B("encoding"), B(key)], 2)));
        }

        Assert.Equal("\"listpack\"", ReplyText.Render(restored.Read(CommandId.Object, [B("encoding"), B("big")], 2)));
        Assert.Equal("\"hashtable\"", ReplyText.Render(restored.Read(CommandId.Object, [B("encoding"), B("s")], 2)));
    }

    // A string's encoding is kept too: APPEND makes it raw, which a string rebuilt from its bytes is not.
    [Fact]
    public void AStringsEncoding_IsRestoredAsItWas()
    {
        var steady = new KeyValueStore();
        steady.Apply(CommandId.Set, 1, "k", "1");
        steady.Apply(CommandId.Append, 1, "k", "2");
        steady.Apply(CommandId.Incrbyfloat, 1, "f", "1.5");
        var restored = Restore(Snapshot(steady)).Store;
        var command = new LogCommand(CommandId.Eval, 2, 0, [B("redis.call('SET', 'out', redis.call('OBJECT', 'ENCODING', KEYS[1]) .. redis.call('OBJECT', 'ENCODING', KEYS[2]))"), B("2"), B("k"), B("f")]);
        steady.Apply(command);
        restored.Apply(command);
        Assert.Equal("\"rawembstr\"", ReplyText.Render(steady.Read(CommandId.Get, [B("out")], 2)));
        Assert.Equal(Snapshot(steady), Snapshot(restored));
    }

    // SORT turns a listpack sorted set into a skip list (as Redis) without changing its members: a snapshot being written
    // must still hold the key as it was when the snapshot began.
    [Fact]
    public void SortDuringASnapshot_LeavesTheSnapshotAsAtItsStart()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Zadd, 1, "a-first", "1", "x");
        store.Apply(CommandId.Zadd, 1, "z", "1", "a", "2", "b");
        var expected = Snapshot(store);
        var snapshot = store.BeginSnapshot(7, 3);
        store.Apply(CommandId.Sort, 2, "z");
        Assert.Equal("\"skiplist\"", ReplyText.Render(store.Read(CommandId.Object, [B("encoding"), B("z")], 2)));
        using var output = new MemoryStream();
        while (!snapshot.Advance(1000))
        {
        }

        snapshot.Drain(output);
        Assert.Equal(expected, output.ToArray());
    }
}
