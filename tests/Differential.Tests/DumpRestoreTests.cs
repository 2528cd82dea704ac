using System.Text;
using RaftKV.Differential.Tests.Infrastructure;

namespace RaftKV.Differential.Tests;

/// <summary>
/// DUMP payloads cross between redis-server 7.0 and RaftKV in both directions: what redis-server dumps (in every
/// encoding it uses: int, LZF-compressed and raw strings, quicklist lists, intset and hashtable sets, listpack and
/// hashtable hashes, listpack and skiplist sorted sets, streams with deleted entries, trimmed nodes and consumer groups)
/// RESTOREs in RaftKV to the same content, and what RaftKV dumps RESTOREs in redis-server, which checks it in depth
/// (sanitize-dump-payload yes), to the same content.
/// </summary>
public sealed class DumpRestoreTests(Servers servers) : IClassFixture<Servers>
{
    // Streams: same and different fields per entry, integer values of every listpack width, strings of 6-, 12- and
    // 32-bit lengths; deleted entries (first, middle and last of a node); exact and approximate trimming over several
    // nodes; consumer groups with pending entries, claimed and acknowledged ones, idle consumers, an unknown read
    // counter; an empty stream with a group.
    private static readonly string[][] StreamSetup =
    [
        ["XADD", "d:stream", "1-1", "a", "1", "b", "2"],
        ["XADD", "d:stream", "1-2", "a", "-70", "b", "5000"],
        ["XADD", "d:stream", "2-0", "c", "hello", "d", new string('w', 100)],
        ["XADD", "d:stream", "3-0", "a", "-9000000", "b", "9223372036854775807"],
        ["XADD", "d:stream", "4-5", "a", new string('x', 5000), "b", "0123"],
        ["XADD", "d:stream", "5-0", "a", "x", "b", "-2147483649"],
        ["XDEL", "d:stream", "1-2", "5-0"],
        ["XGROUP", "CREATE", "d:stream", "g1", "0"],
        ["XGROUP", "CREATE", "d:stream", "g2", "$"],
        ["XGROUP", "CREATE", "d:stream", "g3", "1-2"],
        ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "d:stream", ">"],
        ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "d:stream", ">"],
        ["XACK", "d:stream", "g1", "1-1"],
        ["XCLAIM", "d:stream", "g1", "carol", "0", "2-0"],
        ["XGROUP", "CREATECONSUMER", "d:stream", "g2", "dave"],
        .. Enumerable.Range(1, 400).Select(static i => new[] { "XADD", "d:trimmed", $"{i}-1", "f", "v" + i, "n", (i * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture) }),
        ["XDEL", "d:trimmed", "300-1", "301-1", "350-1"],
        ["XTRIM", "d:trimmed", "MAXLEN", "=", "333"],
        ["XTRIM", "d:trimmed", "MINID", "~", "120-1"],
        ["XGROUP", "CREATE", "d:trimmed", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", "d:trimmed", ">"],
        ["XGROUP", "CREATE", "d:empty", "g", "$", "MKSTREAM"],
    ];

    private static readonly string[][] Setup =
    [
        ["SET", "d:str", "hello"],
        ["SET", "d:int", "-123456"],
        ["SET", "d:big", "1234567890123"],
        ["SET", "d:lzf", string.Concat(Enumerable.Repeat("abcdefgh", 200))],
        ["RPUSH", "d:list", "a", "1", "-200", "70000", "-5000000000", new string('z', 300)],
        ["RPUSH", "d:longlist", .. Enumerable.Range(0, 3000).Select(static i => "item" + i)],
        ["SADD", "d:intset", "1", "-7", "40000", "5000000000"],
        ["SADD", "d:set", "a", "b", "c", "1"],
        ["HSET", "d:hash", "f1", "v1", "f2", "2", "f3", new string('y', 20)],
        ["HSET", "d:bighash", .. Enumerable.Range(0, 300).SelectMany(static i => new[] { "f" + i, "v" + i })],
        ["ZADD", "d:zset", "1", "a", "2.5", "b", "-3", "c", "inf", "d"],
        ["ZADD", "d:bigzset", .. Enumerable.Range(0, 300).SelectMany(static i => new[] { (i * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), "m" + i })],
        .. StreamSetup,
    ];

    [Fact]
    public void RedisDumps_RestoreInRaftKv_WithTheSameContent()
    {
        Prepare();
        foreach (var key in Keys())
        {
            var payload = Payload(servers.Redis, key);
            var restored = servers.RaftKv.ExecuteMany([[B("RESTORE"), B(key + ":from-redis"), B("0"), payload]])[0];
            Assert.False(restored.IsError, key + ": " + restored.Render());
            Assert.Equal(Content(servers.Redis, key), Content(servers.RaftKv, key + ":from-redis"));
        }
    }

    [Fact]
    public void RaftKvDumps_RestoreInRedis_WithTheSameContent()
    {
        Prepare();

        // Redis then checks every listpack, stream node and consumer group in depth before it accepts a payload.
        Assert.Equal("OK", servers.Redis.Execute("CONFIG", "SET", "sanitize-dump-payload", "yes").Render());
        foreach (var key in Keys())
        {
            var payload = Payload(servers.RaftKv, key);
            var restored = servers.Redis.ExecuteMany([[B("RESTORE"), B(key + ":from-raftkv"), B("0"), payload]])[0];
            Assert.False(restored.IsError, key + ": " + restored.Render());
            Assert.Equal(Content(servers.RaftKv, key), Content(servers.Redis, key + ":from-raftkv"));
        }
    }

    [Fact]
    public void LegacyStreamPayload_RestoresAsInRedis()
    {
        // unit/type/stream-cgroups restores this RDB_TYPE_STREAM_LISTPACKS payload (Redis 6.2) from a literal.
        var payload = Convert.FromHexString(
            "0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103010020010381610204"
            + "200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a00ff0206000202673105000400"
            + "0000000000000100000000000000003ef783437a01000001000000000000000200000000000000003ef783437a0100000100000000000000"
            + "0400000000000000003ef783437a01000001000000000000000500000000000000003ef783437a0100000101036331313ef783437a0100"
            + "0004000000000000000100000000000000000000000000000002000000000000000000000000000000040000000000000000000000000000"
            + "000500000000000000000267320000000009003d52ef6867521dfa");
        foreach (var server in new[] { servers.Redis, servers.RaftKv })
        {
            server.Execute("DEL", "d:legacy");
            Assert.Equal("OK", server.ExecuteMany([[B("RESTORE"), B("d:legacy"), B("0"), payload]])[0].Render());
        }

        Assert.Equal(Content(servers.Redis, "d:legacy"), Content(servers.RaftKv, "d:legacy"));
    }

    [Fact]
    public void CorruptedPayload_IsRefusedAsRedisRefusesIt()
    {
        Prepare();
        var payload = Payload(servers.Redis, "d:hash");
        payload[3] ^= 0x40;
        var command = new[] { B("RESTORE"), B("d:corrupt"), B("0"), payload };
        Assert.Equal(servers.Redis.ExecuteMany([command])[0].Render(), servers.RaftKv.ExecuteMany([command])[0].Render());
    }

    private void Prepare()
    {
        foreach (var server in new[] { servers.Redis, servers.RaftKv })
        {
            server.Execute("FLUSHALL");
            foreach (var command in Setup)
                Assert.False(server.Execute(command).IsError, string.Join(' ', command.Take(3)));
        }
    }

    private static IEnumerable<string> Keys() => Setup.Select(static command => command[0] switch
    {
        "XGROUP" => command[2],
        "XREADGROUP" => command[^2],
        _ => command[1],
    }).Distinct();

    private static byte[] Payload(RespConnection server, string key)
    {
        var dump = server.Execute("DUMP", key);
        Assert.NotNull(dump.Bulk);
        return dump.Bulk;
    }

    /// <summary>TYPE and the whole value, in an order that does not depend on either server's representation.</summary>
    private static string Content(RespConnection server, string key)
    {
        var type = server.Execute("TYPE", key).Text;
        var value = type switch
        {
            "string" => server.Execute("GET", key).Render(),
            "list" => server.Execute("LRANGE", key, "0", "-1").Render(),
            "set" => string.Join(",", server.Execute("SMEMBERS", key).Items!.Select(static item => item.Render()).Order(StringComparer.Ordinal)),
            "hash" => string.Join(",", server.Execute("HGETALL", key).Items!.Chunk(2).Select(static pair => pair[0].Render() + "=" + pair[1].Render()).Order(StringComparer.Ordinal)),
            "zset" => server.Execute("ZRANGE", key, "0", "-1", "WITHSCORES").Render(),
            "stream" => StreamContent(server, key),
            _ => "?",
        };
        return type + ":" + value;
    }

    /// <summary>
    /// XINFO STREAM FULL with every entry and pending entry: counters, nodes (radix-tree-keys), entries, groups, pending
    /// entries with their delivery times, consumers with their seen times. radix-tree-nodes, an internal figure of
    /// Redis's radix tree, is left out.
    /// </summary>
    private static string StreamContent(RespConnection server, string key)
    {
        var items = server.Execute("XINFO", "STREAM", key, "FULL", "COUNT", "0").Items!;
        return string.Join(", ", items.Chunk(2).Where(static pair => pair[0].Render() != "\"radix-tree-nodes\"")
            .Select(static pair => pair[0].Render() + "=" + pair[1].Render()));
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);
}
