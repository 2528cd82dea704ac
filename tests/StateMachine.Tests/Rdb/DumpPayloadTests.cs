using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Rdb;
using RaftKV.StateMachine.Tests.Support;

namespace RaftKV.StateMachine.Tests.Rdb;

/// <summary>
/// DUMP payloads recorded from redis-server 7.0.15 (hex), one per encoding it writes, read by RaftKV's RESTORE; and
/// RaftKV's own payloads read back. The cross-server check in both directions is in the differential tests.
/// </summary>
public sealed class DumpPayloadTests
{
    public static TheoryData<string, string, string> RedisPayloads => new()
    {
        { "raw string", "000568656c6c6f0a006372df766534200a", "GET=\"hello\"" },
        { "int string", "00c139300a009d94ea2793fc08b9", "GET=\"12345\"" },
        { "lzf string", "00c30b40780361626361e069020162630a00c494a1702ae23e06", "GET=\"" + string.Concat(Enumerable.Repeat("abc", 40)) + "\"" },
        { "quicklist of listpacks", "120102171700000005008161028162020101c0c802f290eefe04ff0a00cc55ffc99792fc65", "LRANGE=[\"a\", \"b\", \"1\", \"200\", \"-70000\"]" },
        { "quicklist of two nodes", "1202020a0a0000000100817802ff020b0b000000010082797903ff0a009e85171cdd94bb00", "LRANGE=[\"x\", \"yy\"]" },
        { "intset", "0b100200000004000000fbff0100020003000a00c8e4dfb66f7396f0", "SMEMBERS=[\"-5\", \"1\", \"2\", \"3\"]" },
        { "hashtable set", "02030163016201610a005ea67e5623750bab", "SMEMBERS=[\"a\", \"b\", \"c\"]" },
        { "listpack hash", "10151500000004008266310382763103826632030201ff0a005c5ea813feec1ff5", "HGETALL=[\"f1\", \"v1\", \"f2\", \"2\"]" },
        { "hashtable hash", "0402026631027631026632c0020a00b9b4486588544429", "HGETALL=[\"f1\", \"v1\", \"f2\", \"2\"]" },
        { "listpack zset", "111a1a0000000600816302dffd02816102010181620283322e3504ff0a00a68a1ab1a9f2dcc2", "ZRANGE=[\"c\", \"-3\", \"a\", \"1\", \"b\", \"2.5\"]" },
        { "skiplist zset", "0503016200000000000004400161000000000000f03f0163000000000000f0ff0a009a24ca8fdcb1d08c", "ZRANGE=[\"c\", \"-inf\", \"a\", \"1\", \"b\", \"2.5\"]" },
    };

    [Theory]
    [MemberData(nameof(RedisPayloads))]
    public void RedisPayload_Restores_WithTheSameContent(string encoding, string hex, string expected)
    {
        var store = new KeyValueStore();
        var restore = store.Apply(Command(CommandId.Restore, "k", "0", Convert.FromHexString(hex)));
        Assert.True(ReplyText.Render(restore) == "OK", encoding + ": " + ReplyText.Render(restore));
        Assert.Equal(expected, Read(store, expected[..expected.IndexOf('=')]));
    }

    [Theory]
    [MemberData(nameof(RedisPayloads))]
    public void RaftKvPayload_RoundTrips(string encoding, string hex, string expected)
    {
        var store = new KeyValueStore();
        store.Apply(Command(CommandId.Restore, "k", "0", Convert.FromHexString(hex)));
        var dump = (Protocol.Replies.BulkReply)store.Read(CommandId.Dump, [B("k")], 0);
        Assert.True(DumpPayload.HasValidFooter(dump.Value), encoding);
        var copy = new KeyValueStore();
        Assert.Equal("OK", ReplyText.Render(copy.Apply(Command(CommandId.Restore, "k", "0", dump.Value))));
        Assert.Equal(expected, Read(copy, expected[..expected.IndexOf('=')]));
    }

    [Fact]
    public void Crc64_MatchesRedisCheckValue()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Compute("123456789"u8));
    }

    [Fact]
    public void EveryCorruptionOfAPayload_IsRefusedWithoutThrowing()
    {
        // Flip every byte of the body in turn and recompute the footer: the reader must refuse or accept, never throw.
        var payload = Convert.FromHexString("111a1a0000000600816302dffd02816102010181620283322e3504ff0a00a68a1ab1a9f2dcc2");
        for (var i = 0; i < payload.Length - 10; i++)
        {
            foreach (var flip in new byte[] { 0x01, 0x80, 0xFF })
            {
                var body = payload[..^10];
                body[i] ^= flip;
                _ = DumpPayloadReader.TryRead(body);
            }
        }
    }

    [Fact]
    public void LzfHeaderClaimingHugeLength_IsRefusedWithoutAllocatingIt()
    {
        // String type, LZF marker, compressed length 1, claimed length 0x7FFFFFFF (5-byte form), one literal byte.
        var body = new byte[] { 0x00, 0xC3, 0x01, 0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0x00 };
        Assert.Null(DumpPayloadReader.TryRead(body));
    }

    [Fact]
    public void ListpackEntryOf16383Bytes_TakesAThreeByteBackLength_AsRedisWritesIt()
    {
        // Redis's lpEncodeBacklen uses 2 bytes below 16383, so an entry of exactly 16383 bytes (a 32-bit string header of
        // 5 and 16378 bytes of data) has a 3-byte back length: 0x00 0xFF 0xFF.
        var value = new byte[16378];
        value.AsSpan().Fill((byte)'v');
        var entries = new List<byte>();
        entries.AddRange([0x81, (byte)'f', 0x02]);
        entries.AddRange([0xF0, .. BitConverter.GetBytes(value.Length), .. value, 0x00, 0xFF, 0xFF]);
        var pack = new List<byte>();
        pack.AddRange(BitConverter.GetBytes(6 + entries.Count + 1));
        pack.AddRange([2, 0, .. entries, 0xFF]);
        var body = new List<byte> { 0x10, 0x80 };
        body.AddRange(BitConverter.GetBytes(pack.Count).Reverse());
        body.AddRange(pack);
        body.AddRange([(byte)DumpPayload.RdbVersion, 0]);
        body.AddRange(BitConverter.GetBytes(Crc64.Compute(body.ToArray())));

        var store = new KeyValueStore();
        Assert.Equal("OK", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k", "0", [.. body]))));
        Assert.Equal("(integer) 16378", ReplyText.Render(store.Read(CommandId.Hstrlen, [B("k"), B("f")], 0)));
    }

    [Fact]
    public void Restore_ChecksInRedisOrder()
    {
        var store = new KeyValueStore();
        var payload = Convert.FromHexString("000568656c6c6f0a006372df766534200a");
        Assert.Equal("OK", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k", "0", payload))));
        Assert.Equal("(error) BUSYKEY Target key name already exists.", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k", "0", payload))));
        Assert.Equal("(error) ERR Invalid TTL value, must be >= 0", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k2", "-1", payload))));
        Assert.Equal("(error) ERR DUMP payload version or checksum are wrong", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k2", "0", B("xx")))));
        Assert.Equal("(error) ERR syntax error", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k2", "0", payload, B("BOGUS")))));
        Assert.Equal("(error) ERR Invalid FREQ value, must be >= 0 and <= 255", ReplyText.Render(store.Apply(Command(CommandId.Restore, "k2", "0", payload, B("FREQ"), B("300")))));
    }

    [Fact]
    public void Restore_RelativeTtl_IsWrittenToTheLogAsAbsolute()
    {
        var payload = Convert.FromHexString("000568656c6c6f0a006372df766534200a");
        var command = new Log.LogCommand(CommandId.Restore, 1_000, 0, [B("k"), B("5000"), payload]);
        var logged = KeyValueStore.ToLogForm(command);
        Assert.Equal(["k", "6000", "ABSTTL"], logged.Arguments.Where((_, i) => i != 2).Select(static a => Encoding.ASCII.GetString(a)));
        var store = new KeyValueStore();
        store.Apply(logged with { TimestampMs = 3_000 });
        Assert.Equal("(integer) 3000", ReplyText.Render(store.Read(CommandId.Pttl, [B("k")], 3_000)));
    }

    private static string Read(KeyValueStore store, string command)
    {
        var (id, args) = command switch
        {
            "GET" => (CommandId.Get, new[] { B("k") }),
            "LRANGE" => (CommandId.Lrange, new[] { B("k"), B("0"), B("-1") }),
            "SMEMBERS" => (CommandId.Smembers, new[] { B("k") }),
            "HGETALL" => (CommandId.Hgetall, new[] { B("k") }),
            _ => (CommandId.Zrange, new[] { B("k"), B("0"), B("-1"), B("WITHSCORES") }),
        };
        return command + "=" + ReplyText.Render(store.Read(id, args, 0));
    }

    private static Log.LogCommand Command(CommandId id, string key, string ttl, byte[] payload, params byte[][] options) =>
        new(id, 0, 0, [B(key), B(ttl), payload, .. options]);

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);
}
