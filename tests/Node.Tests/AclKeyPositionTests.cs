using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Keys a command names outside its plain key positions are checked as redis-server 7.0.15 checks them: GEORADIUS's
/// STORE and STOREDIST destinations, MEMORY USAGE's key, XREADGROUP's streams (searched after its group and consumer),
/// and SORT's BY and GET patterns (read access to every key). Each of these ran unchecked before.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AclKeyPositionTests
{
    private const string NoPermKeys = "NOPERM this user has no permissions to access one of the keys used as arguments";

    private static string Error(Reply reply) => Assert.IsType<ErrorReply>(reply).Message;

    [Fact]
    public async Task KeysOutsideThePlainPositions_AreChecked_AsRedisChecksThem()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("1", (await admin.SendAsync("GEOADD", "pubgeo", "15", "37", "here")).Text());
        Assert.Equal("OK", (await admin.SendAsync("SET", "secret", "s3cr3t")).Text());
        Assert.NotNull((await admin.SendAsync("XADD", "secretstream", "*", "f", "v")).Text());
        Assert.Equal("OK", (await admin.SendAsync("XGROUP", "CREATE", "secretstream", "STREAMS", "0")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "u", "on", ">p", "+@all", "-@dangerous", "+memory", "~pub*", "~STREAMS")).Text());

        await using var user = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await user.SendAsync("AUTH", "u", "p")).Text());
        Assert.Equal(NoPermKeys, Error(await user.SendAsync("GEORADIUS", "pubgeo", "15", "37", "200", "km", "STORE", "secretgeo")));
        Assert.Equal(NoPermKeys, Error(await user.SendAsync("GEORADIUS", "pubgeo", "15", "37", "200", "km", "STORE", "pubdst", "STORE", "secretgeo")));
        Assert.Equal(NoPermKeys, Error(await user.SendAsync("GEORADIUSBYMEMBER", "pubgeo", "here", "200", "km", "STOREDIST", "secretgeo")));
        Assert.Equal("1", (await user.SendAsync("GEORADIUS", "pubgeo", "15", "37", "200", "km", "STORE", "pubdst")).Text());
        Assert.Equal(NoPermKeys, Error(await user.SendAsync("MEMORY", "USAGE", "secret")));
        Assert.IsType<IntegerReply>(await user.SendAsync("MEMORY", "USAGE", "pubgeo"));
        Assert.Equal(NoPermKeys, Error(await user.SendAsync("XREADGROUP", "GROUP", "STREAMS", "pubc", "STREAMS", "secretstream", ">")));

        await using (var check = await RespTestClient.ConnectAsync(leader.RespPort))
            Assert.Equal("0", (await check.SendAsync("EXISTS", "secretgeo")).Text());
    }

    [Fact]
    public async Task SortPatterns_NeedReadAccessToEveryKey_InRedisWords_AlsoInScripts()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("1", (await admin.SendAsync("RPUSH", "publ", "1")).Text());
        Assert.Equal("OK", (await admin.SendAsync("SET", "secret1", "s3cr3t")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "s", "on", ">p", "+@all", "~pub*")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "r", "on", ">p", "+@all", "~pub*", "%R~*")).Text());

        await using var s = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await s.SendAsync("AUTH", "s", "p")).Text());
        Assert.Equal("ERR GET option of SORT denied due to insufficient ACL permissions.", Error(await s.SendAsync("SORT", "publ", "BY", "nosort", "GET", "secret*")));
        Assert.Equal("ERR BY option of SORT denied due to insufficient ACL permissions.", Error(await s.SendAsync("SORT_RO", "publ", "BY", "w_*")));
        Assert.Equal("ERR GET option of SORT denied due to insufficient ACL permissions.", Error(await s.SendAsync("SORT_RO", "publ", "GET", "#")));
        // A BY without * sorts nothing and names no key: allowed, as in Redis.
        Assert.Equal("1", Assert.Single(Assert.IsType<ArrayReply>(await s.SendAsync("SORT", "publ", "BY", "nosort")).Items).Text());
        Assert.StartsWith("ERR GET option of SORT denied due to insufficient ACL permissions.",
            Error(await s.SendAsync("EVAL", "return redis.call('sort', 'publ', 'by', 'nosort', 'get', 'secret*')", "0")));

        await using var r = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await r.SendAsync("AUTH", "r", "p")).Text());
        Assert.Equal("s3cr3t", Assert.Single(Assert.IsType<ArrayReply>(await r.SendAsync("SORT_RO", "publ", "BY", "nosort", "GET", "secret*")).Items).Text());
    }

    [Fact]
    public async Task APrefixOperation_NeedsEveryKeyWithThePrefix_NotThePrefixAsOneKey()
    {
        // RAFTKV.KV.RANGE, DELETE PREFIX and their RAFTKV.TXN operations reach every key that starts with the prefix;
        // the check took the prefix for one key, so ~app let a user read and delete apple and applepie.
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("SET", "apple", "SECRET")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "one", "on", ">p", "+@all", "~app")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "all", "on", ">p", "+@all", "~ap*")).Text());

        await using var one = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await one.SendAsync("AUTH", "one", "p")).Text());
        Assert.Equal(NoPermKeys, Error(await one.SendAsync("RAFTKV.KV.RANGE", "app", "", "100")));
        Assert.Equal(NoPermKeys, Error(await one.SendAsync("RAFTKV.KV.DELETE", "PREFIX", "NOPREV", "app")));
        Assert.Equal(NoPermKeys, Error(await one.SendAsync("RAFTKV.TXN", "0", "1", "4", "RANGE", "app", "", "100", "0")));
        Assert.Equal("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
            (await one.SendAsync("EVAL", "return redis.pcall('raftkv.kv.range', 'app', '', '100')['err']", "0")).Text());
        // The key app alone is still its to use.
        Assert.Equal("OK", (await one.SendAsync("SET", "app", "mine")).Text());

        await using var all = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await all.SendAsync("AUTH", "all", "p")).Text());
        Assert.IsNotType<ErrorReply>(await all.SendAsync("RAFTKV.KV.RANGE", "app", "", "100"));
        Assert.IsNotType<ErrorReply>(await all.SendAsync("RAFTKV.TXN", "0", "1", "4", "RANGE", "app", "", "100", "0"));
        Assert.Equal(NoPermKeys, Error(await all.SendAsync("RAFTKV.KV.RANGE", "a", "", "100")));
        Assert.Equal("SECRET", (await admin.SendAsync("GET", "apple")).Text());
    }
}
