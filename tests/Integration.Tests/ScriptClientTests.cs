using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Real clients' Lua paths against three node processes: redis-py's <c>Lock</c> (acquire, extend, release and
/// <c>with</c>, which run EVALSHA with EVAL as the fallback) and StackExchange.Redis's <c>ScriptEvaluate</c> (EVAL, EVALSHA
/// and <c>LuaScript.Prepare</c>). redis-py is Debian's python3-redis (installed by .ci/run); a missing one fails the
/// test, never skips it.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ScriptClientTests
{
    private const string LockProgram = """
        import sys, time, redis
        from redis.exceptions import LockError
        r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), socket_timeout=30)
        lock = r.lock('resource', timeout=10)
        assert lock.acquire(blocking=False), 'acquire'
        assert r.pttl('resource') > 0
        other = r.lock('resource', timeout=10)
        assert not other.acquire(blocking=False), 'a second owner acquired a held lock'
        assert lock.extend(20), 'extend'
        assert r.pttl('resource') > 10000, 'extend did not add time'
        assert lock.reacquire(), 'reacquire'
        try:
            other.release()
            raise SystemExit('a non-owner released the lock')
        except LockError:
            pass
        lock.release()
        assert r.get('resource') is None, 'release left the key'
        with r.lock('scoped', timeout=5) as held:
            assert r.get('scoped') == held.local.token
            held.extend(5)
        assert r.get('scoped') is None, 'with left the key'
        print('lock ok')
        """;

    [Fact]
    public async Task RedisPyLock_AcquiresExtendsReleases_AndWithReleases()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

        var (exit, output) = await Python.RunAsync(LockProgram, leader.RespPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(exit == 0, output);
        Assert.Contains("lock ok", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task StackExchangeRedis_ScriptEvaluate_ByEvalEvalshaAndPreparedScript(RedisProtocol protocol)
    {
        await using var cluster = await ProcessCluster.StartAsync();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ClientOptions(protocol));
        var db = redis.GetDatabase();

        // EVAL (the client sends the body the first time it sees a script, EVALSHA afterwards).
        const string script = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[2], ARGV[2])";
        Assert.Equal(5, (long)await db.ScriptEvaluateAsync(script, ["name", "counter"], ["alice", 5]));
        Assert.Equal(10, (long)await db.ScriptEvaluateAsync(script, ["name", "counter"], ["bob", 5]));
        Assert.Equal("bob", (string?)await db.StringGetAsync("name"));

        // EVALSHA of a script loaded through SCRIPT LOAD.
        var server = redis.GetServers().First(static s => !s.IsReplica);
        var loaded = await server.ScriptLoadAsync("return {KEYS[1], ARGV[1], redis.call('get', KEYS[1])}");
        Assert.True(await server.ScriptExistsAsync(loaded));
        var array = (RedisResult[])(await db.ScriptEvaluateAsync(loaded, ["name"], ["x"]))!;
        Assert.Equal(["name", "x", "bob"], array.Select(static r => (string?)r));

        // LuaScript.Prepare: named parameters, loaded and run by SHA.
        var prepared = LuaScript.Prepare("return redis.call('hset', @key, @field, @value)");
        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(prepared, new { key = (RedisKey)"h", field = "f", value = "v" }));
        var loadedScript = await prepared.LoadAsync(server);
        Assert.Equal(0, (long)await db.ScriptEvaluateAsync(loadedScript, new { key = (RedisKey)"h", field = "f", value = "w" }));
        Assert.Equal("w", (string?)await db.HashGetAsync("h", "f"));

        // A script error reaches the client as Redis words it.
        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync("return redis.call('incr', KEYS[1])", ["name"]));
        Assert.StartsWith("ERR value is not an integer or out of range", error.Message, StringComparison.Ordinal);
    }
}
