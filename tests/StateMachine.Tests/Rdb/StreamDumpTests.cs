using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Rdb;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests.Rdb;

/// <summary>
/// DUMP / RESTORE of streams: payloads recorded from redis-server 7.0.15 (RDB_TYPE_STREAM_LISTPACKS_2, and the older
/// RDB_TYPE_STREAM_LISTPACKS that the suite's stream-cgroups unit restores from a literal) restore with every counter,
/// group, pending entry and consumer; RaftKV's own payloads restore to the same state, nodes included; and no
/// corruption of a payload throws, allocates what its lengths claim, or yields a stream a snapshot could not hold.
/// The cross-server checks in both directions are in the differential tests.
/// </summary>
public sealed class StreamDumpTests
{
    // XADD s 1-1 a 1 b 2; XADD s 1-2 a 3 b 4; XADD s 2-0 c hello; XADD s 3-0 a 5 b 6; XDEL s 1-2; XGROUP CREATE s g1 0;
    // XREADGROUP GROUP g1 alice COUNT 2 STREAMS s >; XGROUP CREATE s g2 $; XGROUP CREATECONSUMER s g2 bob; DUMP s
    // (redis-server 7.0.15; the node's listpack is LZF-compressed).
    private const string RedisStream =
        "13011000000000000000010000000000000001c34049404f124f0000001f0003010101020181610281620200200900002001401102050103"
        + "600902030104200b40130fdfff0201018163028568656c6c6f0606202c0002401402050106202100ff030300010101020402026731020081"
        + "ffffffffffffffff02000000000000000100000000000000013a7a583aa201000001000000000000000200000000000000003a7a583aa201"
        + "0000010105616c6963653a7a583aa20100000200000000000000010000000000000001000000000000000200000000000000000267320300"
        + "81ffffffffffffffff000103626f628981583aa2010000000a00c3fd26ff2269cc97";

    // The RDB_TYPE_STREAM_LISTPACKS (Redis 6.2) payload of unit/type/stream-cgroups "Loading from legacy (Redis <= v6.2.x,
    // rdb_ver < 10) persistence": six entries, 3-0 deleted, groups g1 (c11 read four) and g2, then XTRIM MAXLEN = 2.
    private const string LegacyStream =
        "0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103010020010381610204"
        + "200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a00ff0206000202673105000400"
        + "0000000000000100000000000000003ef783437a01000001000000000000000200000000000000003ef783437a0100000100000000000000"
        + "0400000000000000003ef783437a01000001000000000000000500000000000000003ef783437a0100000101036331313ef783437a0100"
        + "0004000000000000000100000000000000000000000000000002000000000000000000000000000000040000000000000000000000000000"
        + "000500000000000000000267320000000009003d52ef6867521dfa";

    [Fact]
    public void RedisStreamPayload_RestoresEntriesCountersGroupsAndPendingEntries()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Render(store.Apply(Restore("k", Convert.FromHexString(RedisStream)))));

        Assert.Equal(
            "[\"length\", (integer) 3, \"radix-tree-keys\", (integer) 1, \"radix-tree-nodes\", (integer) 2, "
            + "\"last-generated-id\", \"3-0\", \"max-deleted-entry-id\", \"1-2\", \"entries-added\", (integer) 4, "
            + "\"recorded-first-entry-id\", \"1-1\", "
            + "\"entries\", [[\"1-1\", [\"a\", \"1\", \"b\", \"2\"]], [\"2-0\", [\"c\", \"hello\"]], [\"3-0\", [\"a\", \"5\", \"b\", \"6\"]]], "
            + "\"groups\", [[\"name\", \"g1\", \"last-delivered-id\", \"2-0\", \"entries-read\", (nil), \"lag\", (nil), \"pel-count\", (integer) 2, "
            + "\"pending\", [[\"1-1\", \"alice\", (integer) 1796275206714, (integer) 1], [\"2-0\", \"alice\", (integer) 1796275206714, (integer) 1]], "
            + "\"consumers\", [[\"name\", \"alice\", \"seen-time\", (integer) 1796275206714, \"pel-count\", (integer) 2, "
            + "\"pending\", [[\"1-1\", (integer) 1796275206714, (integer) 1], [\"2-0\", (integer) 1796275206714, (integer) 1]]]]], "
            + "[\"name\", \"g2\", \"last-delivered-id\", \"3-0\", \"entries-read\", (nil), \"lag\", (integer) 0, \"pel-count\", (integer) 0, "
            + "\"pending\", [], \"consumers\", [[\"name\", \"bob\", \"seen-time\", (integer) 1796275208585, \"pel-count\", (integer) 0, \"pending\", []]]]]]",
            Render(store.Read(CommandId.Xinfo, [B("STREAM"), B("k"), B("FULL")], 0)));
    }

    [Fact]
    public void LegacyStreamPayload_RestoresWithTheCountersRedis7Derives()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Render(store.Apply(Restore("x", Convert.FromHexString(LegacyStream)))));

        Assert.Equal("[[\"5-0\", [\"data\", \"e\"]], [\"6-0\", [\"data\", \"f\"]]]", Render(store.Read(CommandId.Xrange, [B("x"), B("-"), B("+")], 0)));
        Assert.Equal(
            "[[\"name\", \"g1\", \"consumers\", (integer) 1, \"pending\", (integer) 4, \"last-delivered-id\", \"5-0\", \"entries-read\", (integer) 1, \"lag\", (integer) 1], "
            + "[\"name\", \"g2\", \"consumers\", (integer) 0, \"pending\", (integer) 0, \"last-delivered-id\", \"0-0\", \"entries-read\", (integer) 0, \"lag\", (integer) 2]]",
            Render(store.Read(CommandId.Xinfo, [B("GROUPS"), B("x")], 0)));
        Assert.Equal("(integer) 2", Render(store.Read(CommandId.Xlen, [B("x")], 0)));
    }

    [Fact]
    public void RaftKvStreamPayload_RestoresToTheSameState_NodesIncluded()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Render(store.Apply(CommandId.ConfigSet, 1000, "stream-node-max-entries", "3")));
        for (var i = 1; i <= 20; i++)
        {
            var fields = i % 4 == 0 ? new[] { "other", "x" + i } : ["f", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "g", new string('v', i * 10)];
            store.Apply(CommandId.Xadd, 1000 + i, ["s", $"{i}-{i}", .. fields]);
        }

        store.Apply(CommandId.Xdel, 2000, "s", "5-5", "6-6", "9-9", "20-20");
        store.Apply(CommandId.Xtrim, 2001, "s", "MAXLEN", "=", "14");
        store.Apply(CommandId.Xgroup, 2002, "CREATE", "s", "g1", "0");
        store.Apply(CommandId.Xgroup, 2003, "CREATE", "s", "g2", "$");
        store.Apply(CommandId.Xreadgroup, 2004, "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "s", ">");
        store.Apply(CommandId.Xreadgroup, 2005, "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "s", ">");
        store.Apply(CommandId.Xclaim, 2006, "s", "g1", "bob", "0", "10-10");
        store.Apply(CommandId.Xgroup, 2007, "CREATECONSUMER", "s", "g2", "carol");
        store.Apply(CommandId.Xgroup, 2008, "SETID", "s", "g2", "12-12", "ENTRIESREAD", "7");

        var payload = Dump(store, "s");
        var copy = new KeyValueStore();
        Assert.Equal("OK", Render(copy.Apply(Restore("s", payload))));
        Assert.Equal(Full(store, "s"), Full(copy, "s"));
        Assert.Equal(Nodes(store, "s"), Nodes(copy, "s"));
        Assert.Equal(store.DigestValue(B("s")), copy.DigestValue(B("s")));
        Assert.Equal(payload, Dump(copy, "s"));

        // The restored stream trims as the original does: approximate trimming removes the same whole nodes.
        foreach (var s in new[] { store, copy })
            s.Apply(CommandId.Xtrim, 3000, "s", "MAXLEN", "~", "5");
        Assert.Equal(store.DigestValue(B("s")), copy.DigestValue(B("s")));
    }

    [Fact]
    public void EmptyStreamWithGroups_RoundTrips()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Xgroup, 1000, "CREATE", "e", "g", "$", "MKSTREAM");
        var copy = new KeyValueStore();
        Assert.Equal("OK", Render(copy.Apply(Restore("e", Dump(store, "e")))));
        Assert.Equal(store.DigestValue(B("e")), copy.DigestValue(B("e")));
    }

    [Fact]
    public void RestoredStreams_SurviveASnapshot()
    {
        var store = new KeyValueStore();
        store.Apply(Restore("a", Convert.FromHexString(RedisStream)));
        store.Apply(Restore("b", Convert.FromHexString(LegacyStream)));
        var restored = StoreBuilder.Restore(Snapshot(store)).Store;
        Assert.Equal(store.DigestValue(B("a")), restored.DigestValue(B("a")));
        Assert.Equal(store.DigestValue(B("b")), restored.DigestValue(B("b")));
    }

    [Fact]
    public void EveryCorruptionOfAStreamPayload_IsRefusedOrGivesAStreamASnapshotHolds()
    {
        // Flip every byte of the body in turn: the reader refuses or accepts, never throws, and what it accepts is a
        // stream RaftKV can keep (a snapshot of it loads back).
        var store = new KeyValueStore();
        store.Apply(Restore("s", Convert.FromHexString(RedisStream)));
        var payload = Dump(store, "s");
        for (var i = 0; i < payload.Length - 10; i++)
        {
            foreach (var flip in new byte[] { 0x01, 0x02, 0x80, 0xFF })
            {
                var body = payload[..^10];
                body[i] ^= flip;
                if (DumpPayloadReader.TryRead(body) is not null)
                {
                    var holder = new KeyValueStore();
                    holder.Apply(Restore("s", WithFooter(body)));
                    Assert.Equal(holder.DigestValue(B("s")), StoreBuilder.Restore(Snapshot(holder)).Store.DigestValue(B("s")));
                }
            }
        }
    }

    [Theory]
    [InlineData("13" + "8100000000ffffffff")] // 4 billion nodes
    [InlineData("13" + "00" + "00" + "0000" + "0000" + "0000" + "00" + "80ffffffff")] // 4 billion groups
    [InlineData("13" + "00" + "00" + "0000" + "0000" + "0000" + "00" + "01" + "0167" + "0000" + "00" + "81ffffffffffffffff")] // a huge PEL
    [InlineData("13" + "00" + "05" + "0000" + "0000" + "0000" + "05" + "00")] // a length without entries
    [InlineData("13" + "00" + "00" + "0000" + "0000" + "0000" + "00" + "01" + "0167" + "0000" + "00" + "01" + "00000000000000010000000000000000" + "0000000000000000" + "01" + "00")] // a pending entry without a consumer
    public void MalformedStreamPayload_IsBadDataFormat(string hex)
    {
        var store = new KeyValueStore();
        Assert.Equal("(error) ERR Bad data format", Render(store.Apply(Restore("k", WithFooter(Convert.FromHexString(hex))))));
    }

    private static string Full(KeyValueStore store, string key) => Render(store.Read(CommandId.Xinfo, [B("STREAM"), B(key), B("FULL"), B("COUNT"), B("0")], 0));

    private static string Nodes(KeyValueStore store, string key) =>
        string.Join(" ", ((Values.Streams.StreamValue)store.Keys.Find(B(key))!.Value).Nodes.Select(static node => $"{node.Slots}/{node.Live}/{node.LastId}"));

    private static byte[] Dump(KeyValueStore store, string key) => ((BulkReply)store.Read(CommandId.Dump, [B(key)], 0)).Value;

    private static byte[] WithFooter(byte[] body)
    {
        var payload = new byte[body.Length + 10];
        body.CopyTo(payload, 0);
        payload[body.Length] = (byte)DumpPayload.RdbVersion;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(body.Length + 2), Crc64.Compute(payload.AsSpan(0, body.Length + 2)));
        return payload;
    }

    private static Log.LogCommand Restore(string key, byte[] payload) => new(CommandId.Restore, 0, 0, [B(key), B("0"), payload]);

    private static string Render(Reply reply) => ReplyText.Render(reply);
}
