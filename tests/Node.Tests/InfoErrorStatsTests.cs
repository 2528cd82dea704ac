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

    // Redis counts an error a command called from a script answered once, where the command answered it (afterErrorReply
    // in scriptCall and call()), whether the script raises it, returns it or swallows it with redis.pcall; a script's reply
    // carrying it does not count again but fails the script's call (unit/scripting's "Consistent eval error reporting").
    // Before, an error redis.pcall swallowed counted nowhere. The errors of redis.call's own argument checks count only
    // in the script's reply.
    [Fact]
    public async Task ErrorsOfCommandsScriptsCall_CountOnce_WhereTheCommandAnsweredThem()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);

        async Task<(string Errors, string Total, string Select, string Eval)> Run(params string[] command)
        {
            Assert.Equal("OK", (await client.SendAsync("CONFIG", "RESETSTAT")).Text());
            await client.SendAsync(command);
            var stats = (await client.SendAsync("INFO", "commandstats")).Text()!;
            string Calls(string name) => stats.Split("\r\n").FirstOrDefault(l => l.StartsWith($"cmdstat_{name}:", StringComparison.Ordinal)) is { } line
                ? string.Join(",", line.Split(',').Where(static f => f.Contains("calls=", StringComparison.Ordinal)).Select(static f => f[(f.IndexOf(':') + 1)..]))
                : "";
            return ((await client.SendAsync("INFO", "errorstats")).Text()!.Replace("# Errorstats", "", StringComparison.Ordinal).Trim(),
                Field((await client.SendAsync("INFO", "stats")).Text()!, "total_error_replies"), Calls("select"), Calls(command[0].ToLowerInvariant()));
        }

        // Raised by redis.call: counted once.
        Assert.Equal(("errorstat_ERR:count=1", "1", "calls=1,rejected_calls=0,failed_calls=1", "calls=1,rejected_calls=0,failed_calls=1"),
            await Run("EVAL", "return redis.call('select', 99)", "0"));
        // Swallowed by redis.pcall: counted once, and the script did not fail.
        Assert.Equal(("errorstat_ERR:count=1", "1", "calls=1,rejected_calls=0,failed_calls=1", "calls=1,rejected_calls=0,failed_calls=0"),
            await Run("EVAL", "local t = redis.pcall('select', 99) return t['err'] == 'ERR DB index is out of range' and t['ignore_error_stats_update'] == true and 1 or 0", "0"));
        // Returned by the script: counted once, and the script failed.
        Assert.Equal(("errorstat_ERR:count=1", "1", "calls=1,rejected_calls=0,failed_calls=1", "calls=1,rejected_calls=0,failed_calls=1"),
            await Run("EVAL", "return redis.pcall('select', 99)", "0"));
        // Refused before it ran (a write from a read-only script), swallowed: counted once.
        var ro = await Run("EVAL_RO", "local t = redis.pcall('set', KEYS[1], 'v') return 1", "1", "x");
        Assert.Equal(("errorstat_ERR:count=1", "1", "calls=1,rejected_calls=0,failed_calls=0"), (ro.Errors, ro.Total, ro.Eval));
        Assert.Contains("cmdstat_set:calls=0,", (await client.SendAsync("INFO", "commandstats")).Text(), StringComparison.Ordinal);
        // Two swallowed errors of two codes, then the script's own error: each counted once.
        Assert.Equal(("errorstat_ERR:count=1\r\nerrorstat_MYCODE:count=1\r\nerrorstat_WRONGTYPE:count=1", "3", "calls=1,rejected_calls=0,failed_calls=1",
                "calls=1,rejected_calls=0,failed_calls=1"),
            await Run("EVAL", "redis.call('set', KEYS[1], 'v') redis.pcall('lpush', KEYS[1], 'x') redis.pcall('select', 99) return redis.error_reply('MYCODE mine')", "1", "k"));
        // redis.call's own argument check: not a command's error, counted in the script's reply only.
        Assert.Equal(("errorstat_ERR:count=1", "1", "", "calls=1,rejected_calls=0,failed_calls=1"),
            await Run("EVAL", "return redis.pcall('ping', {})", "0"));
        Assert.Equal(("", "0", "", "calls=1,rejected_calls=0,failed_calls=0"),
            await Run("EVAL", "redis.pcall('ping', {}) return 1", "0"));
    }

    private static string Field(string info, string field) =>
        info.Split("\r\n").First(line => line.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..];
}
