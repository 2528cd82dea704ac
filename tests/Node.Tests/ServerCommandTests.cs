using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>MONITOR, SAVE, BGSAVE and DEBUG PROTOCOL through a real node, as Redis 7.0 answers them.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ServerCommandTests
{
    [Fact]
    public async Task Monitor_ReceivesEveryCommandOtherClientsRun_QuotedAsRedisQuotesThem()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var monitor = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await monitor.SendAsync("MONITOR")).Text());

        Assert.Equal("OK", (await client.SendAsync("set", "foo", "a\"b\n")).Text());
        await client.SendAsync("get", "foo");
        await client.SendAsync("AUTH", "user", "secret");
        await client.SendAsync("INFO", "server");

        var lines = new List<string?>();
        for (var i = 0; i < 3; i++)
            lines.Add((await monitor.ReadReplyAsync()).Text());
        Assert.Matches(@"^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ""set"" ""foo"" ""a\\""b\\n""$", lines[0]);
        Assert.EndsWith("\"get\" \"foo\"", lines[1]);
        Assert.EndsWith("\"AUTH\" \"(redacted)\" \"(redacted)\"", lines[2]);

        // INFO is an admin command, which Redis does not show: the next line is the PING after it.
        await client.SendAsync("PING");
        Assert.EndsWith("\"PING\"", (await monitor.ReadReplyAsync()).Text());
    }

    // Redis feeds MONITOR from call(): a write held by CLIENT PAUSE shows when it runs, not when it arrives (it showed
    // at once, seconds before it ran, once the pause wait moved after the ACL checks).
    [Fact]
    public async Task Monitor_ShowsACommandHeldByAPause_OnlyWhenItRuns()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var monitor = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await monitor.SendAsync("MONITOR")).Text());
        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "60000", "WRITE")).Text());

        var held = writer.SendAsync("SET", "px", "1");
        await Task.Delay(200);
        Assert.Equal("PONG", (await admin.SendAsync("PING")).Text());
        string? line;
        do
        {
            line = (await monitor.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(30))).Text();
            Assert.DoesNotContain("\"px\"", line);
        }
        while (!line!.EndsWith("\"PING\"", StringComparison.Ordinal));

        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "UNPAUSE")).Text());
        Assert.Equal("OK", (await held.WaitAsync(TimeSpan.FromSeconds(30))).Text());
        do
            line = (await monitor.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(30))).Text();
        while (!line!.Contains("\"px\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Monitor_ShowsTheCommandsAScriptCalls_FromLua_AfterTheEval()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var monitor = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await monitor.SendAsync("MONITOR")).Text());

        await client.SendAsync("EVAL", "redis.call('set',KEYS[1],ARGV[1])", "1", "foo", "bar");
        Assert.Contains("\"EVAL\"", (await monitor.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(30))).Text());
        Assert.Matches(@"^\d+\.\d{6} \[0 lua\] ""set"" ""foo"" ""bar""$", (await monitor.ReadReplyAsync().WaitAsync(TimeSpan.FromSeconds(30))).Text());
    }

    [Fact]
    public async Task Save_WritesASnapshot_AndBgsaveStartsOne()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await client.SendAsync("SET", "k", "v");
        var before = Field((await client.SendAsync("INFO", "persistence")).Text()!, "raft_snapshot_index");
        Assert.Equal("OK", (await client.SendAsync("SAVE")).Text());
        Assert.True(long.Parse(Field((await client.SendAsync("INFO", "persistence")).Text()!, "raft_snapshot_index")) > long.Parse(before));
        Assert.Equal("Background saving started", (await client.SendAsync("BGSAVE")).Text());
        Assert.Equal("ERR syntax error", Assert.IsType<ErrorReply>(await client.SendAsync("BGSAVE", "NOW")).Message);

        // BGREWRITEAOF's counterpart is a snapshot too (it compacts the log): once no save is in progress, it starts one.
        await WaitUntilAsync(async () => Field((await client.SendAsync("INFO", "persistence")).Text()!, "aof_rewrite_in_progress") == "0");
        Assert.Equal("Background append only file rewriting started", (await client.SendAsync("BGREWRITEAOF")).Text());
    }

    [Theory]
    [InlineData("2", "bignum", "1234567999999999999999999999999999999")]
    [InlineData("3", "bignum", "1234567999999999999999999999999999999")]
    [InlineData("2", "attrib", "Some real reply following the attribute")]
    [InlineData("3", "attrib", "Some real reply following the attribute")]
    [InlineData("3", "verbatim", "This is a verbatim\nstring")]
    [InlineData("2", "true", "1")]
    public async Task DebugProtocol_AnswersEachReplyKind(string protocol, string type, string expected)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        await client.SendAsync("HELLO", protocol);
        Assert.Equal(expected, (await client.SendAsync("DEBUG", "PROTOCOL", type)).Text());
    }

    // unit/scripting's RESP tests: DEBUG SET-DISABLE-DENY-SCRIPTS 1 lets a script call DEBUG PROTOCOL (refused before,
    // and again after 0); the switch is replicated, so every replica runs such a script alike. CLIENT stays refused.
    [Fact]
    public async Task DebugSetDisableDenyScripts_LetsAScriptCallDebugProtocol_OnEveryReplica()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
        const string script = "redis.setresp(3); return redis.call('debug', 'protocol', 'bignum')";

        Assert.Equal("ERR This Redis command is not allowed from script",
            Assert.IsType<ErrorReply>(await client.SendAsync("EVAL", script, "0")).Message.Split(" script:")[0]);
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1")).Text());
        await client.SendAsync("HELLO", "3");
        Assert.Equal("1234567999999999999999999999999999999", (await client.SendAsync("EVAL", script, "0")).Text());
        Assert.Equal("1", (await client.SendAsync("EVAL",
            "redis.call('SET', 'key', 'value', 'PX', '1') redis.call('DEBUG', 'SLEEP', '0.01') return redis.call('EXISTS', 'key')", "0")).Text());
        Assert.StartsWith("ERR This Redis command is not allowed from script",
            Assert.IsType<ErrorReply>(await client.SendAsync("EVAL", "return redis.call('client', 'list')", "0")).Message, StringComparison.Ordinal);
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0")).Text());
        Assert.StartsWith("ERR This Redis command is not allowed from script",
            Assert.IsType<ErrorReply>(await client.SendAsync("EVAL", script, "0")).Message, StringComparison.Ordinal);

        await cluster.WaitForConvergenceAsync();
        Assert.Single((await cluster.DigestsAsync()).Distinct());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 600 && !await condition(); i++)
            await Task.Delay(50);
    }

    private static string Field(string info, string name) =>
        info.Split("\r\n").First(line => line.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..];
}
