using System.Text;
using RaftKV.Differential.Tests.Infrastructure;

namespace RaftKV.Differential.Tests;

/// <summary>
/// DUMP payloads cross between redis-server 7.0 and RaftKV in both directions: what redis-server dumps (in every
/// encoding it uses: int, LZF-compressed and raw strings, quicklist lists, intset and hashtable sets, listpack and
/// hashtable hashes, listpack and skiplist sorted sets) RESTOREs in RaftKV to the same content, and what RaftKV dumps
/// RESTOREs in redis-server to the same content.
/// </summary>
public sealed class DumpRestoreTests(Servers servers) : IClassFixture<Servers>
{
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
        foreach (var key in Keys())
        {
            var payload = Payload(servers.RaftKv, key);
            var restored = servers.Redis.ExecuteMany([[B("RESTORE"), B(key + ":from-raftkv"), B("0"), payload]])[0];
            Assert.False(restored.IsError, key + ": " + restored.Render());
            Assert.Equal(Content(servers.RaftKv, key), Content(servers.Redis, key + ":from-raftkv"));
        }
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

    private static IEnumerable<string> Keys() => Setup.Select(static command => command[1]);

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
            _ => "?",
        };
        return type + ":" + value;
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);
}
