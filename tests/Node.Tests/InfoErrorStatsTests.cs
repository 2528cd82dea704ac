using System.Globalization;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// INFO errorstats through a real node, as Redis 7.0 counts (unit/info's errorstats tests): every error reply a client
/// gets, by code: refused commands (unknown, wrong arity, inside MULTI), failed ones, errors of commands inside EXEC,
/// EXECABORT, a script's error; in the default sections and INFO all, reset by CONFIG RESETSTAT.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class InfoErrorStatsTests
{
    [Fact]
    public async Task ErrorReplies_AreCountedByCode_AsRedisCountsThem()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
        Assert.Equal("# Errorstats", (await client.SendAsync("INFO", "errorstats")).Text()!.Trim());

        await client.SendAsync("NOSUCHCOMMAND");
        await client.SendAsync("GET");
        await client.SendAsync("SET", "k", "v");
        await client.SendAsync("LPUSH", "k", "x");
        await client.SendAsync("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0");
        await client.SendAsync("XADD", "mystream", "1-1", "f", "v");
        await client.SendAsync("XGROUP", "CREATECONSUMER", "mystream", "mygroup", "consumer");
        await client.SendAsync("EVAL", "return redis.error_reply('MYCODE boom')", "0");

        // A failed command inside EXEC counts; EXEC itself succeeded.
        await client.SendAsync("MULTI");
        await client.SendAsync("SET", "a", "b");
        await client.SendAsync("INCR", "a");
        await client.SendAsync("EXEC");

        // A command refused inside MULTI counts, and so does the EXECABORT it causes.
        await client.SendAsync("MULTI");
        await client.SendAsync("SET");
        await client.SendAsync("EXEC");

        var errors = (await client.SendAsync("INFO", "errorstats")).Text()!;
        Assert.Equal(
            "# Errorstats\r\nerrorstat_ERR:count=4\r\nerrorstat_EXECABORT:count=1\r\nerrorstat_MYCODE:count=1\r\n"
            + "errorstat_NOGROUP:count=1\r\nerrorstat_NOSCRIPT:count=1\r\nerrorstat_WRONGTYPE:count=1",
            errors.Trim());
        Assert.Equal("9", Field((await client.SendAsync("INFO", "stats")).Text()!, "total_error_replies"));
        Assert.Contains("errorstat_ERR:count=4", (await client.SendAsync("INFO")).Text(), StringComparison.Ordinal);
        Assert.Contains("errorstat_ERR:count=4", (await client.SendAsync("INFO", "all")).Text(), StringComparison.Ordinal);
        Assert.Contains("errorstat_ERR:count=4", (await client.SendAsync("INFO", "everything")).Text(), StringComparison.Ordinal);
        Assert.DoesNotContain("errorstat_", (await client.SendAsync("INFO", "stats")).Text(), StringComparison.Ordinal);

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
        Assert.Equal("# Errorstats", (await client.SendAsync("INFO", "errorstats")).Text()!.Trim());
    }

    [Fact]
    public async Task DistinctCodesFromScripts_AreBounded_AsRedisBoundsThem()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
        for (var i = 1; i <= 140; i++)
            await client.SendAsync("EVAL", "return redis.error_reply(ARGV[1] .. ' my error message')", "0", "E" + i.ToString(CultureInfo.InvariantCulture));

        Assert.Equal("# Errorstats\r\nerrorstat_ERRORSTATS_DISABLED:count=1", (await client.SendAsync("INFO", "errorstats")).Text()!.Trim());
        Assert.Equal("140", Field((await client.SendAsync("INFO", "stats")).Text()!, "total_error_replies"));
    }

    private static string Field(string info, string field) =>
        info.Split("\r\n").First(line => line.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..];
}
