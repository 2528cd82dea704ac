using System.Buffers;
using System.Globalization;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Active expiry (DESIGN "Determinism rules": deleting expired keys happens only by an expiry-sweep entry
/// that the leader proposes): the leader lists expired keys with <see cref="KeyValueStore.ExpiredKeys"/>,
/// proposes them as one <see cref="CommandId.ExpireSweep"/> entry, and every replica deletes the same keys.
/// </summary>
public sealed class ExpirySweepTests
{
    [Fact]
    public void Sweep_OfAKeyWithoutExpiry_DeletesNothing()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v");
        Assert.Empty(store.ExpiredKeys(long.MaxValue, 100));
        Assert.Equal("(integer) 0", ReplyText.Render(store.Apply(CommandId.ExpireSweep, 5000, "k", "missing")));
        Assert.Equal(1, store.KeyCount);
    }

    [Fact]
    public void Sweep_DeletesOnlyKeysStillExpiredAtTheEntryTime()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "a", "v", "PXAT", "1500");
        store.Apply(CommandId.Set, 1000, "b", "v", "PXAT", "1600");
        store.Apply(CommandId.Set, 1000, "c", "v", "PXAT", "1700");
        store.Apply(CommandId.Set, 1000, "live", "v", "PXAT", "9000");
        var expired = store.ExpiredKeys(2000, 10).Select(Encoding.ASCII.GetString).ToList();
        Assert.Equal(["a", "b", "c"], expired);

        // Between the leader's choice and the sweep entry, b is set again and c gets a later expiry.
        store.Apply(CommandId.Set, 1100, "b", "again");
        store.Apply(CommandId.Pexpireat, 1100, "c", "9500");
        Assert.Equal("(integer) 1", ReplyText.Render(store.Apply(CommandId.ExpireSweep, 2000, [.. expired])));
        Assert.Equal(3, store.KeyCount);
        Assert.Equal("\"again\"", ReplyText.Render(store.Read(CommandId.Get, [B("b")], 2000)));
        Assert.Equal(2, store.ExpiringKeyCount);
    }

    [Fact]
    public void Sweep_RepeatedKey_CountsOnce_AndAKeyNotYetExpiredAtTheEntryTimeSurvives()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "a", "v", "PXAT", "1500");
        store.Apply(CommandId.Set, 1000, "b", "v", "PXAT", "3000");
        Assert.Equal("(integer) 1", ReplyText.Render(store.Apply(CommandId.ExpireSweep, 2000, "a", "a", "b")));
        Assert.Equal(1, store.KeyCount);
    }

    [Fact]
    public void ExpiredKeys_AreBounded_EarliestFirst_TiesInCanonicalOrder()
    {
        var store = new KeyValueStore();
        for (var i = 0; i < 200; i++)
        {
            var at = 2000 + ((i * 37) % 50 * 10);
            store.Apply(CommandId.Set, 1000, "k" + i.ToString(CultureInfo.InvariantCulture), "v", "PXAT", at.ToString(CultureInfo.InvariantCulture));
        }

        store.Apply(CommandId.Set, 1000, "forever", "v");
        var now = 2200;
        var expected = store.Keys.InOrder().Where(e => e.IsExpiredAt(now)).Order(ExpiryOrder.Instance).Select(e => e.Key).ToList();
        Assert.True(expected.Count > 40);
        Assert.Equal(expected.Take(25), store.ExpiredKeys(now, 25));
        Assert.Equal(expected, store.ExpiredKeys(now, 1000));
        Assert.Empty(store.ExpiredKeys(now, 0));
        Assert.Empty(store.ExpiredKeys(1999, 1000));

        // A leader clock behind the store's never hides keys the store already counts as expired.
        store.Apply(CommandId.NoOp, now);
        Assert.Equal(expected, store.ExpiredKeys(0, 1000));
    }

    [Fact]
    public void ExpireSweep_IsNotAClientCommand()
    {
        Assert.False(CommandTable.TryGet(CommandId.ExpireSweep, out _));
        Assert.False(CommandTable.TryGet("expiresweep"u8, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Replicas_ApplyingTheLeadersSweeps_EndIdentical_AndTheIndexMatchesABruteForceScan(int seed)
    {
        var random = new Random(seed);
        var leader = new KeyValueStore();
        var follower = new KeyValueStore();
        long time = 1_000_000;
        long swept = 0, mostExpiring = 0;
        for (var i = 0; i < 6000; i++)
        {
            time += random.Next(50) == 0 ? -300 : random.Next(0, 60);

            // Half in the leader's log form, half relative as an old log holds them.
            var command = i % 10 == 9
                ? new LogCommand(CommandId.ExpireSweep, time, 0, [.. leader.ExpiredKeys(time, random.Next(1, 20))])
                : random.Next(2) == 0 ? KeyValueStore.ToLogForm(RandomCommand(random, time)) : RandomCommand(random, time);
            var encoded = LogEntryCodec.Encode(command);
            var leaderReply = ReplyText.Render(leader.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded))));
            var followerReply = ReplyText.Render(follower.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded))));
            Assert.Equal(leaderReply, followerReply);
            swept += command.Command == CommandId.ExpireSweep ? long.Parse(leaderReply[10..], CultureInfo.InvariantCulture) : 0;
            mostExpiring = Math.Max(mostExpiring, leader.ExpiringKeyCount);
            if (i % 500 == 0)
            {
                AssertIndexMatchesScan(leader);
                follower = Restore(Snapshot(follower)).Store;
                AssertIndexMatchesScan(follower);
            }
        }

        AssertIndexMatchesScan(leader);
        AssertIndexMatchesScan(follower);
        Assert.True(swept > 100 && mostExpiring > 15, $"swept {swept}, at most {mostExpiring} expiring keys, {leader.KeyCount} keys at {time}");
        Assert.Equal(leader.Digest(), follower.Digest());
        Assert.Equal(Snapshot(leader), Snapshot(follower));
    }

    /// <summary>The naive model: every stored key with an expiry, sorted by (expiry, canonical order).</summary>
    internal static void AssertIndexMatchesScan(KeyValueStore store)
    {
        var scanned = store.Keys.InOrder().Where(e => e.HasExpiry).Order(ExpiryOrder.Instance).ToList();
        var indexed = store.Keys.ByExpiry().ToList();
        Assert.Equal(scanned.Count, indexed.Count);
        for (var i = 0; i < scanned.Count; i++)
        {
            Assert.Same(scanned[i], indexed[i]);
        }

        Assert.Equal(scanned.Count, store.ExpiringKeyCount);
    }

    private static LogCommand RandomCommand(Random random, long time)
    {
        string Key() => "k" + random.Next(300).ToString(CultureInfo.InvariantCulture);
        string Ms(int min, int max) => random.Next(min, max).ToString(CultureInfo.InvariantCulture);
        string At() => (time + random.Next(-200, 3000)).ToString(CultureInfo.InvariantCulture);
        string[] Condition() => random.Next(3) == 0 ? [] : [new[] { "NX", "XX", "GT", "LT" }[random.Next(4)]];
        (CommandId, string[]) pick = random.Next(24) switch
        {
            0 => (CommandId.Set, [Key(), "v"]),
            1 => (CommandId.Set, [Key(), "v", "PX", Ms(1, 2000)]),
            2 => (CommandId.Set, [Key(), "v", "PXAT", At(), "GET"]),
            3 => (CommandId.Set, [Key(), "w", "XX", "KEEPTTL"]),
            4 => (CommandId.Setex, [Key(), Ms(1, 3), "v"]),
            5 => (CommandId.Psetex, [Key(), Ms(1, 2000), "v"]),
            6 => (CommandId.Getex, [Key(), .. new[] { ["PX", Ms(1, 2000)], ["PERSIST"], ["PXAT", At()], Array.Empty<string>() }[random.Next(4)]]),
            7 => (CommandId.Expire, [Key(), Ms(-1, 3), .. Condition()]),
            8 => (CommandId.Pexpire, [Key(), Ms(-100, 2000), .. Condition()]),
            9 => (CommandId.Pexpireat, [Key(), At(), .. Condition()]),
            10 => (CommandId.Persist, [Key()]),
            11 => (CommandId.Rename, [Key(), Key()]),
            12 => (CommandId.Renamenx, [Key(), Key()]),
            13 => (CommandId.Copy, [Key(), Key(), "REPLACE"]),
            14 => (CommandId.Del, [Key()]),
            15 => (CommandId.Append, [Key(), "x"]),
            16 => (CommandId.Incr, [Key()]),
            17 => (CommandId.Rpush, [Key(), "a", "b"]),
            18 => (CommandId.Lpop, [Key()]),
            19 => (CommandId.Sadd, [Key(), "m"]),
            20 => (CommandId.Sunionstore, [Key(), Key(), Key()]),
            21 => (CommandId.Mset, [Key(), "1", Key(), "2"]),
            22 => (CommandId.Flushdb, random.Next(20) == 0 ? [] : ["SYNC", "x"]),
            _ => (CommandId.Getset, [Key(), "g"]),
        };
        return new LogCommand(pick.Item1, time, (ulong)random.NextInt64(), [.. pick.Item2.Select(B)]);
    }
}
