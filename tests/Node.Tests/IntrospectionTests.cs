using System.Globalization;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// INFO, CLIENT LIST/INFO, OBJECT IDLETIME and CONFIG GET port tell the truth about the node asked, through a real
/// node: Redis's test suite waits on these fields (wait_for_blocked_client polls INFO blocked_clients).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IntrospectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task InfoBlockedClients_CountsClientsBlockedOnTheNodeTheyAreConnectedTo_LeaderAndFollower()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var onLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var onFollower = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var leaderInfo = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var followerInfo = await RespTestClient.ConnectAsync(follower.RespPort);

        Assert.Equal("0", await InfoFieldAsync(leaderInfo, "clients", "blocked_clients"));
        var leaderPop = onLeader.SendAsync("BLPOP", "queue", "0");
        await WaitForFieldAsync(leaderInfo, "clients", "blocked_clients", "1");
        Assert.Contains("flags=b", (await leaderInfo.SendAsync("CLIENT", "LIST")).Text(), StringComparison.Ordinal);

        // Relayed to the leader, counted on the follower the client is connected to (and only there).
        var followerPop = onFollower.SendAsync("BZPOPMIN", "zqueue", "0");
        await WaitForFieldAsync(followerInfo, "clients", "blocked_clients", "1");
        Assert.Equal("1", await InfoFieldAsync(leaderInfo, "clients", "blocked_clients"));

        await using var pusher = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("1", (await pusher.SendAsync("RPUSH", "queue", "a")).Text());
        Assert.Equal("1", (await pusher.SendAsync("ZADD", "zqueue", "1", "m")).Text());
        Assert.Equal("[$queue, $a]", (await leaderPop.WaitAsync(Patience)).ToString());
        Assert.Equal("[$zqueue, $m, $1]", (await followerPop.WaitAsync(Patience)).ToString());
        await WaitForFieldAsync(leaderInfo, "clients", "blocked_clients", "0");
        await WaitForFieldAsync(followerInfo, "clients", "blocked_clients", "0");
    }

    [Fact]
    public async Task InfoKeyspace_CountsKeysWithAnExpiry()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "plain", "x"));
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "temp1", "x", "EX", "1000"));
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "temp2", "x", "EX", "1000"));

        var keyspace = (await client.SendAsync("INFO", "keyspace")).Text()!;

        Assert.Contains("db0:keys=3,expires=2,", keyspace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InfoStats_CountsConnectionsCommandsAndRejectedCalls()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using (var first = await RespTestClient.ConnectAsync(node.RespPort))
            Assert.Equal("PONG", (await first.SendAsync("PING")).Text());
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.StartsWith("-ERR unknown command", (await client.SendAsync("NOSUCHCOMMAND", "a")).Text(), StringComparison.Ordinal);
        Assert.StartsWith("-ERR wrong number of arguments", (await client.SendAsync("GET")).Text(), StringComparison.Ordinal);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", "v"));
        Assert.StartsWith("-WRONGTYPE", (await client.SendAsync("LPUSH", "k", "x")).Text(), StringComparison.Ordinal);

        var stats = (await client.SendAsync("INFO", "stats")).Text()!;
        Assert.True(long.Parse(Field(stats, "total_connections_received"), CultureInfo.InvariantCulture) >= 2, stats);
        Assert.True(long.Parse(Field(stats, "total_commands_processed"), CultureInfo.InvariantCulture) >= 3, stats);
        Assert.True(long.Parse(Field(stats, "total_error_replies"), CultureInfo.InvariantCulture) >= 3, stats);
        var commandStats = (await client.SendAsync("INFO", "commandstats")).Text()!;
        Assert.Matches(@"cmdstat_get:calls=0,usec=\d+,usec_per_call=[\d.]+,rejected_calls=1,failed_calls=0", commandStats);
        Assert.Matches(@"cmdstat_lpush:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1", commandStats);
        Assert.Matches(@"cmdstat_set:calls=1,", commandStats);
    }

    // unit/introspection-2 "command stats for scripts": the commands a script calls count in INFO commandstats, as
    // Redis's call() counts them; a call refused before it ran is a rejected call, one that answered an error a failed call.
    [Fact]
    public async Task InfoCommandstats_CountsTheCommandsAScriptCalls()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "mykey", "myval"));
        await client.SendAsync("EVAL", "redis.call('set', KEYS[1], 0) redis.call('expire', KEYS[1], 0) redis.call('geoadd', KEYS[1], 0, 0, 'bar')", "1", "mykey");
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "text", "abc"));
        Assert.Equal("1", (await client.SendAsync("EVAL", "redis.pcall('set', 'x') redis.pcall('incr', 'text') return 1", "0")).Text());
        Assert.Equal("1", (await client.SendAsync("EVAL_RO", "redis.pcall('get', 'text') return 1", "0")).Text());

        var commandStats = (await client.SendAsync("INFO", "commandstats")).Text()!;
        Assert.Matches(@"cmdstat_eval:calls=2,", commandStats);
        Assert.Matches(@"cmdstat_set:calls=3,usec=\d+,usec_per_call=[\d.]+,rejected_calls=1,failed_calls=0", commandStats);
        Assert.Matches(@"cmdstat_expire:calls=1,", commandStats);
        Assert.Matches(@"cmdstat_geoadd:calls=1,", commandStats);
        Assert.Matches(@"cmdstat_incr:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1", commandStats);
        Assert.Matches(@"cmdstat_get:calls=1,", commandStats);
    }

    [Fact]
    public async Task InfoExpiredKeys_CountsOnEveryReplica_AtApply()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using (var client = await RespTestClient.ConnectAsync(leader.RespPort))
        {
            for (var i = 0; i < 20; i++)
                Assert.Equal("OK", await client.SendRetryingAsync("SET", $"temp:{i}", "x", "PX", "50"));
        }

        foreach (var node in cluster.Nodes)
        {
            await using var info = await RespTestClient.ConnectAsync(node.RespPort);
            await WaitForFieldAsync(info, "stats", "expired_keys", "20");
        }
    }

    [Fact]
    public async Task ClientList_ReportsSubcommandQueryBufferAndIdleSeconds()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var idle = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await idle.SendAsync("CLIENT", "SETNAME", "sleeper")).Text());
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        // As Redis 7.0 reports it: the query buffer still holds the command being run (*2 $6 client $4 info = 26 bytes).
        var self = (await client.SendAsync("CLIENT", "INFO")).Text()!;
        Assert.Contains(" qbuf=26 ", self, StringComparison.Ordinal);
        Assert.Contains(" cmd=client|info ", self, StringComparison.Ordinal);
        Assert.Matches(@"^id=\d+ addr=\S+ laddr=\S+ fd=\d+ name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ events=r cmd=client\|info user=default redir=-1 resp=2", self);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var list = (await client.SendAsync("CLIENT", "LIST")).Text()!;
        var sleeper = list.Split('\n').Single(line => line.Contains("name=sleeper ", StringComparison.Ordinal));
        Assert.True(int.Parse(Between(sleeper, " idle=", " "), CultureInfo.InvariantCulture) >= 2, sleeper);
        Assert.True(int.Parse(Between(sleeper, " age=", " "), CultureInfo.InvariantCulture) >= 2, sleeper);
        Assert.Contains(" cmd=client|setname ", sleeper, StringComparison.Ordinal);
        Assert.Contains(" qbuf=0 ", sleeper, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ObjectIdleTime_CountsSecondsSinceLastAccess_TouchAndReadsResetIt_TypeExistsTtlDoNot()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "foo", "bar"));
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "other", "x"));

        node.Clock.Offset += TimeSpan.FromSeconds(100);
        Assert.Equal("-1", (await client.SendAsync("TTL", "foo")).Text());
        Assert.Equal("string", (await client.SendAsync("TYPE", "foo")).Text());
        Assert.Equal("1", (await client.SendAsync("EXISTS", "foo")).Text());
        Assert.True(await IdleAsync(client, "foo") >= 100);

        Assert.Equal("1", (await client.SendAsync("TOUCH", "foo", "missing")).Text());
        Assert.True(await IdleAsync(client, "foo") < 100);
        Assert.True(await IdleAsync(client, "other") >= 100);

        node.Clock.Offset += TimeSpan.FromSeconds(100);
        Assert.Equal("x", (await client.SendAsync("GET", "other")).Text());
        Assert.True(await IdleAsync(client, "other") < 100);
        Assert.True(await IdleAsync(client, "foo") >= 100);
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "foo", "new"));
        Assert.True(await IdleAsync(client, "foo") < 100);

        Assert.StartsWith("-ERR An LFU maxmemory policy is not selected", (await client.SendAsync("OBJECT", "FREQ", "foo")).Text(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigGetPort_AnswersTheRespPortTheNodeListensOn()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        var reply = (await client.SendAsync("CONFIG", "GET", "port")).ToString();

        Assert.Contains(node.RespPort.ToString(CultureInfo.InvariantCulture), reply, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", (await client.SendAsync("CONFIG", "GET", "bind")).ToString(), StringComparison.Ordinal);
    }

    private static async Task<long> IdleAsync(RespTestClient client, string key) =>
        long.Parse((await client.SendAsync("OBJECT", "IDLETIME", key)).Text()!, CultureInfo.InvariantCulture);

    private static async Task<string> InfoFieldAsync(RespTestClient client, string section, string field) =>
        Field((await client.SendAsync("INFO", section)).Text()!, field);

    private static async Task WaitForFieldAsync(RespTestClient client, string section, string field, string expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        var value = "";
        while (DateTime.UtcNow < deadline)
        {
            value = await InfoFieldAsync(client, section, field);
            if (value == expected)
                return;
            await Task.Delay(50);
        }

        Assert.Fail($"{field} stayed {value}, expected {expected}");
    }

    private static string Field(string info, string field)
    {
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return line[(field.Length + 1)..];
        }

        return "(missing)";
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}
