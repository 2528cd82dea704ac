using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// SLOWLOG as Redis 7.0's (unit/slowlog): each node records its own clients' slow commands, with Redis's six fields,
/// arguments trimmed and secrets redacted; blocked time is not a command's time; EXEC is not recorded, its commands are.
/// SLOWLOG used to be an unknown command.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SlowLogTests
{
    [Fact]
    public async Task SlowCommands_AreRecordedNewestFirst_WithRedisFields_TrimmedAndRedacted()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "0")).Text());
        Assert.Equal("OK", (await client.SendAsync("CLIENT", "SETNAME", "me")).Text());
        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());

        Assert.Equal("OK", await client.SendRetryingAsync("SET", "k", new string('A', 130)));
        Assert.Equal("40", (await client.SendAsync(["SADD", "s", .. Enumerable.Range(0, 40).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))])).Text());
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "masterauth", "secret")).Text());
        Assert.Equal("OK", (await client.SendAsync("ACL", "SETUSER", "u", "on", ">pw")).Text());

        var entries = Entries(await client.SendAsync("SLOWLOG", "GET", "-1"));
        // Newest first: ACL SETUSER, CONFIG SET, SADD, SET and SLOWLOG RESET itself (recorded after it ran); this GET is not yet.
        Assert.Equal(5, entries.Count);
        Assert.Equal(["ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"], Arguments(entries[0]));
        Assert.Equal(["CONFIG", "SET", "masterauth", "(redacted)"], Arguments(entries[1]));
        var sadd = Arguments(entries[2]);
        Assert.Equal(32, sadd.Count);
        Assert.Equal("... (11 more arguments)", sadd[^1]);
        Assert.Equal(new string('A', 128) + "... (2 more bytes)", Arguments(entries[3])[2]);
        Assert.Equal(["SLOWLOG", "RESET"], Arguments(entries[4]));
        var fields = Assert.IsType<ArrayReply>(entries[0]).Items;
        Assert.Equal(6, fields.Count);
        Assert.True(long.Parse(fields[0].Text()!, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(Assert.IsType<ArrayReply>(entries[1]).Items[0].Text()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(long.Parse(fields[1].Text()!, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Contains($"addr={fields[4].Text()} ", (await client.SendAsync("CLIENT", "INFO")).Text());
        Assert.Equal("me", fields[5].Text());

        Assert.Equal(2, Entries(await client.SendAsync("SLOWLOG", "GET", "2")).Count);
        Assert.Empty(Entries(await client.SendAsync("SLOWLOG", "GET", "0")));
        Assert.Equal("-ERR count should be greater than or equal to -1", (await client.SendAsync("SLOWLOG", "GET", "-2")).Text());
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-max-len", "3")).Text());
        Assert.Equal("3", (await client.SendAsync("SLOWLOG", "LEN")).Text());
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "-1")).Text());
        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
        Assert.Equal("0", (await client.SendAsync("SLOWLOG", "LEN")).Text());
    }

    [Fact]
    public async Task OnlyTheCommandsOwnTime_Counts_NotBlockedTime_AndExecIsNotRecorded_ItsCommandsAre()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "100000")).Text());
        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());

        // Blocked for 0.5 s, but its own time is short.
        Assert.Null((await client.SendAsync("BLPOP", "empty", "0.5")).Text());
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
        Assert.Equal("0", (await client.SendAsync("SLOWLOG", "LEN")).Text());

        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SLEEP", "0.2")).Text());
        var sleep = Assert.IsType<ArrayReply>(Assert.Single(Entries(await client.SendAsync("SLOWLOG", "GET")))).Items;
        Assert.Equal(["debug", "sleep", "0.2"], Arguments(sleep[3]).Select(static a => a.ToLowerInvariant()));
        Assert.True(long.Parse(sleep[2].Text()!, System.Globalization.CultureInfo.InvariantCulture) > 100_000);

        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());
        Assert.Equal("OK", (await client.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("SET", "k", "v")).Text());
        Assert.Equal("QUEUED", (await client.SendAsync("DEBUG", "SLEEP", "0.2")).Text());
        Assert.IsType<ArrayReply>(await client.SendAsync("EXEC"));
        var inside = Assert.Single(Entries(await client.SendAsync("SLOWLOG", "GET")));
        Assert.Equal(["debug", "sleep", "0.2"], Arguments(inside).Select(static a => a.ToLowerInvariant()));
    }

    // Redis times a command's execution, not its I/O: a write's commit is its I/O here. A SET that waits behind a long
    // script's apply took long to answer but not to run; before, every write waiting for a busy commit was recorded, and
    // every command of a transaction with the whole transaction's time.
    [Fact]
    public async Task AWrite_IsTimedByItsApply_NotByItsWaitForTheCommit_NorATransactionsCommandsByTheWholeEntry()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        await using var scripter = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "100000")).Text());
        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());

        var script = scripter.SendAsync("EVAL", "local i = 0 while i < 20000000 do i = i + 1 end return i", "0");
        await Task.Delay(50);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "behind", "1"));
        var waited = clock.ElapsedMilliseconds;
        Assert.Equal("20000000", (await script).Text());
        Assert.True(waited > 150, $"the SET waited only {waited} ms: the script is too short to test this");
        Assert.DoesNotContain(Entries(await client.SendAsync("SLOWLOG", "GET", "-1")), e => Arguments(e).Contains("behind"));

        // Nor is a read by the deletion of the expired keys it found (lazy expiry), committed behind another long script.
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SET-ACTIVE-EXPIRE", "0")).Text());
        Assert.Equal("OK", (await client.SendAsync("PSETEX", "gone", "10", "v")).Text());
        await Task.Delay(100);
        script = scripter.SendAsync("EVAL", "local i = 0 while i < 20000000 do i = i + 1 end return i", "0");
        await Task.Delay(50);
        clock.Restart();
        Assert.Null((await client.SendAsync("GET", "gone")).Text());
        waited = clock.ElapsedMilliseconds;
        Assert.Equal("20000000", (await script).Text());
        Assert.True(waited > 150, $"the GET waited only {waited} ms: the script is too short to test this");
        Assert.DoesNotContain(Entries(await client.SendAsync("SLOWLOG", "GET", "-1")), e => Arguments(e).Contains("gone"));

        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "3000")).Text());
        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());
        Assert.Equal("OK", (await client.SendAsync("MULTI")).Text());
        for (var i = 0; i < 2000; i++)
            Assert.Equal("QUEUED", (await client.SendAsync("SET", $"t{i}", "x")).Text());
        Assert.Equal(2000, Assert.IsType<ArrayReply>(await client.SendAsync("EXEC")).Items.Count);
        Assert.DoesNotContain(Entries(await client.SendAsync("SLOWLOG", "GET", "-1")), e => Arguments(e)[0] == "SET");
    }

    // HELLO's options are read as Redis reads them: SETNAME AUTH names a client "AUTH", and every AUTH's pair is hidden.
    [Fact]
    public async Task HelloSecrets_AreRedactedAtEveryAuth_AndSlowlogGetChecksItsArguments()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "0")).Text());
        Assert.Equal("OK", (await client.SendAsync("SLOWLOG", "RESET")).Text());
        await client.SendAsync("HELLO", "2", "SETNAME", "AUTH", "AUTH", "default", "pass1");
        await client.SendAsync("HELLO", "2", "AUTH", "default", "x", "AUTH", "default", "pass2");
        var entries = Entries(await client.SendAsync("SLOWLOG", "GET", "2"));
        Assert.Equal(["HELLO", "2", "AUTH", "(redacted)", "(redacted)", "AUTH", "(redacted)", "(redacted)"], Arguments(entries[0]));
        Assert.Equal(["HELLO", "2", "SETNAME", "AUTH", "AUTH", "(redacted)", "(redacted)"], Arguments(entries[1]));

        Assert.Equal("-ERR count should be greater than or equal to -1", (await client.SendAsync("SLOWLOG", "GET", "abc")).Text());
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.", (await client.SendAsync("SLOWLOG", "GET", "1", "2")).Text());
    }

    [Fact]
    public async Task ACommandSentToAFollower_IsRecordedOnThatFollower_NotOnTheLeader()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var atLeader = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var atFollower = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal("OK", (await atLeader.SendAsync("CONFIG", "SET", "slowlog-log-slower-than", "0")).Text());
        // The follower applies the replicated setting when it applies its entry, which may come after the leader answered.
        for (var i = 0; i < 300 && (await atFollower.SendAsync("CONFIG", "GET", "slowlog-log-slower-than")).Text() != "[$slowlog-log-slower-than, $0]"; i++)
            await Task.Delay(100);
        Assert.Equal("[$slowlog-log-slower-than, $0]", (await atFollower.SendAsync("CONFIG", "GET", "slowlog-log-slower-than")).Text());
        Assert.Equal("OK", (await atLeader.SendAsync("SLOWLOG", "RESET")).Text());
        Assert.Equal("OK", (await atFollower.SendAsync("SLOWLOG", "RESET")).Text());

        Assert.Equal("OK", await atFollower.SendRetryingAsync("SET", "relayed", "1"));
        Assert.Contains(Entries(await atFollower.SendAsync("SLOWLOG", "GET", "-1")), e => Arguments(e).SequenceEqual(["SET", "relayed", "1"]));
        Assert.DoesNotContain(Entries(await atLeader.SendAsync("SLOWLOG", "GET", "-1")), e => Arguments(e).Contains("relayed"));
    }

    private static List<Reply> Entries(Reply reply) => [.. Assert.IsType<ArrayReply>(reply).Items];

    private static List<string> Arguments(Reply entry) =>
        [.. Assert.IsType<ArrayReply>(entry is ArrayReply { Items.Count: 6 } whole ? whole.Items[3] : entry).Items.Select(static a => a.Text()!)];
}
