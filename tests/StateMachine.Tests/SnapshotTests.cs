using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Snapshots;
using RaftKV.StateMachine.Tests.Support;
using RaftKV.StateMachine.Values;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

public sealed class SnapshotTests
{
    // Snapshots on disk and in backups hold these bytes: changing them needs a new format version.
    // Version 6 (the string's encoding before it: 00, set by SET), as version 5 (streams, runtime configuration, revisions, script cache, function libraries, cluster secret, ACL users)
    // writes the configuration section (here no parameter changed), each key's revision (0: applied without a log index)
    // after its expiry, the lock section (here last token 0 and no lock), the revision section (horizon 0, no tombstone),
    // the script section (no script), the function section (no library), the cluster secret section (here none: an
    // empty string) and the ACL section (not bootstrapped, last generation 0, the default user: generation 0,
    // "on nopass ~* &* +@all") always.
    private const string TinyGoldenHex =
        "524B56534E415031" + "0600" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "00000000"
        + "010000006B" + "00" + "8813000000000000" + "0000000000000000" + "00" + "0100000076"
        + "0000000000000000" + "0000000000000000"
        + "0000000000000000" + "00000000"
        + "00000000"
        + "00000000"
        + "00000000"
        + "00" + "0000000000000000" + "01000000" + "0700000064656661756C74" + "0000000000000000"
        + "15000000" + "6F6E206E6F70617373207E2A20262A202B40616C6C"
        + "3F80E8B212F570AB";

    // The same store in version 5, as nodes before version 6 wrote it (no string encoding): still read.
    private const string TinyVersion5Hex =
        "524B56534E415031" + "0500" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "00000000"
        + "010000006B" + "00" + "8813000000000000" + "0000000000000000" + "0100000076"
        + "0000000000000000" + "0000000000000000"
        + "0000000000000000" + "00000000"
        + "00000000"
        + "00000000"
        + "00000000"
        + "00" + "0000000000000000" + "01000000" + "0700000064656661756C74" + "0000000000000000"
        + "15000000" + "6F6E206E6F70617373207E2A20262A202B40616C6C"
        + "C1717E67A18ACD11";

    // The same store in version 4, as nodes before version 5 wrote it: still read.
    private const string TinyVersion4Hex =
        "524B56534E415031" + "0400" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "00000000"
        + "010000006B" + "00" + "8813000000000000" + "0000000000000000" + "0100000076"
        + "0000000000000000" + "0000000000000000"
        + "0000000000000000" + "00000000"
        + "00000000"
        + "00000000"
        + "E59A560BC876E895";

    // The same store in version 3, as nodes before version 4 wrote it: still read.
    private const string TinyVersion3Hex =
        "524B56534E415031" + "0300" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "00000000"
        + "010000006B" + "00" + "8813000000000000" + "0100000076"
        + "0000000000000000" + "0000000000000000"
        + "98DC199F4184F99E";

    // The same store in version 1, as nodes before version 3 wrote it: still read.
    private const string TinyVersion1Hex =
        "524B56534E415031" + "0100" + "0700000000000000" + "0300000000000000" + "E803000000000000" + "0100000000000000"
        + "010000006B" + "00" + "8813000000000000" + "0100000076"
        + "78A8307B92DBB054";

    [Fact]
    public void Write_TinyStore_MatchesGoldenBytes()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v", "PXAT", "5000");
        Assert.Equal(TinyGoldenHex, Convert.ToHexString(Snapshot(store)));
        var restored = Restore(Convert.FromHexString(TinyGoldenHex));
        Assert.Equal(store.Digest(), restored.Store.Digest());
        Assert.Equal(1000, restored.Store.Now);
    }

    [Fact]
    public void Read_Version4Golden_HasNoClusterSecret() =>
        Assert.Null(Restore(Convert.FromHexString(TinyVersion4Hex)).Store.ClusterSecret);

    /// <summary>Older versions are still read; written again they give the current version (version 4: with the default user).</summary>
    [Theory]
    [InlineData(5)]
    [InlineData(4)]
    [InlineData(3)]
    [InlineData(1)]
    public void Read_OlderVersionGolden_RestoresTheSameStore(int version)
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "v", "PXAT", "5000");
        var golden = version switch { 5 => TinyVersion5Hex, 4 => TinyVersion4Hex, 3 => TinyVersion3Hex, _ => TinyVersion1Hex };
        var restored = Restore(Convert.FromHexString(golden));
        Assert.Equal(store.Digest(), restored.Store.Digest());
        Assert.Equal(TinyGoldenHex, Convert.ToHexString(Snapshot(restored.Store)));
    }

    [Fact]
    public void RoundTrip_AllTypesAndExpiries_RestoresEqualStore()
    {
        var store = SampleStore();
        var bytes = Snapshot(store, index: 42, term: 9);
        var restored = Restore(bytes);
        Assert.Equal(42, restored.Index);
        Assert.Equal(9, restored.Term);
        Assert.Equal(store.Now, restored.Store.Now);
        Assert.Equal(store.KeyCount, restored.Store.KeyCount);
        Assert.Equal(store.Digest(), restored.Store.Digest());
        Assert.Equal(bytes, Snapshot(restored.Store, index: 42, term: 9));
        Assert.Equal("[\"v\", (nil)]", ReplyText.Render(restored.Store.Read(CommandId.Mget, [B("s"), B("expired")], store.Now)));
    }

    [Fact]
    public void Read_ThroughOneByteReads_RestoresEqualStore()
    {
        var store = new KeyValueStore();
        for (var i = 0; i < 3000; i++)
        {
            store.Apply(CommandId.Set, i, "key" + i, new string('x', i % 97));
        }

        var bytes = Snapshot(store);
        Assert.True(bytes.Length > 3 * 64 * 1024);
        var restored = SnapshotReader.Read(new TricklingStream(bytes));
        Assert.Equal(store.Digest(), restored.Store.Digest());
    }

    [Fact]
    public void Read_Truncated_ThrowsSnapshotFormatException()
    {
        var bytes = Snapshot(SampleStore());
        var lengths = Enumerable.Range(0, 10).Select(tenth => bytes.Length * tenth / 10).Append(bytes.Length - 1);
        foreach (var length in lengths)
        {
            var exception = Assert.Throws<SnapshotFormatException>(() => Restore(bytes[..length]));
            Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Read_AnyFlippedByte_ThrowsSnapshotFormatException()
    {
        var bytes = Snapshot(SampleStore());
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x20;
            Assert.Throws<SnapshotFormatException>(() => Restore(damaged));
        }
    }

    [Fact]
    public void Read_NotASnapshot_SaysSo()
    {
        var exception = Assert.Throws<SnapshotFormatException>(() => Restore(B("*1\r\n$4\r\nPING\r\n")));
        Assert.Contains("magic", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_EqualStatesInDifferentOrders_GiveEqualBytes()
    {
        // One MSET each, so that every key has the same revision in both (revisions are state: the order of separate
        // writes is part of it).
        var first = new KeyValueStore();
        var second = new KeyValueStore();
        first.Apply(CommandId.Mset, 10, Enumerable.Range(0, 200).SelectMany(static i => new[] { "k" + i, "v" + i }).ToArray());
        second.Apply(CommandId.Mset, 10, Enumerable.Range(0, 200).Reverse().SelectMany(static i => new[] { "k" + i, "v" + i }).ToArray());

        Assert.Equal(Snapshot(first), Snapshot(second));
    }

    /// <summary>Every value type, members inserted out of order, one TTL, one logically expired key.</summary>
    internal static KeyValueStore SampleStore()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "s", "v");
        store.Apply(CommandId.Set, 1000, "ttl", "v", "PXAT", "9000");
        store.Apply(CommandId.Set, 1000, "expired", "v", "PXAT", "1500");
        var list = new ListValue();
        foreach (var item in new[] { B("c"), B("a"), B("b") })
        {
            list.PushBack(item);
        }

        var set = new SetValue();
        foreach (var member in new[] { B("z"), B("y"), B("x") })
        {
            set.Add(member);
        }

        var hash = new HashValue();
        hash.Set(B("f2"), B("v2"));
        hash.Set(B("f1"), B("v1"));
        var zset = new SortedSetValue();
        zset.Set(B("m2"), 2.5);
        zset.Set(B("m1"), -1);
        store.Keys.Put(B("list"), list, KeyEntry.NoExpiry);
        store.Keys.Put(B("set"), set, KeyEntry.NoExpiry);
        store.Keys.Put(B("hash"), hash, 8000);
        store.Keys.Put(B("zset"), zset, KeyEntry.NoExpiry);
        store.Apply(CommandId.NoOp, 2000);
        return store;
    }

    /// <summary>Hands out at most 1 to 7 bytes per read, to cross every chunk boundary.</summary>
    private sealed class TricklingStream(byte[] bytes) : MemoryStream(bytes)
    {
        private int _next;

        public override int Read(byte[] buffer, int offset, int count) =>
            base.Read(buffer, offset, Math.Min(count, (_next++ % 7) + 1));
    }
}
