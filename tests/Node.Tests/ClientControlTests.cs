using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>CLIENT PAUSE/UNPAUSE and CLIENT KILL act on this node's connections as Redis's act on its server's.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientControlTests
{
    [Fact]
    public async Task ClientPauseWrite_HoldsWrites_NotReads_UntilUnpause()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "60000", "WRITE")).Text());
        var write = writer.SendAsync("SET", "k", "v");
        Assert.Null((await reader.SendAsync("GET", "k")).Text());
        Assert.False(write.IsCompleted);

        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "UNPAUSE")).Text());
        Assert.Equal("OK", (await write.WaitAsync(TimeSpan.FromSeconds(30))).Text());
        Assert.Equal("v", (await reader.SendAsync("GET", "k")).Text());
    }

    // unit/pause: a paused client counts in INFO blocked_clients (the suite waits for that count), and PAUSE WRITE holds
    // what Redis flags write or may-replicate (PFCOUNT, PUBLISH, scripts without no-writes), never a no-writes script.
    [Fact]
    public async Task ClientPauseWrite_CountsHeldClientsAsBlocked_AndHoldsMayReplicateCommands_ButNotNoWritesScripts()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("1", (await admin.SendAsync("PFADD", "hll", "a")).Text());
        Assert.Equal("lib", (await admin.SendAsync("FUNCTION", "LOAD",
            "#!lua name=lib\nredis.register_function{function_name='ro', callback=function() return 'ro' end, flags={'no-writes'}}")).Text());
        var noWrites = "#!lua flags=no-writes\nreturn 'nw'";
        var sha = (await admin.SendAsync("SCRIPT", "LOAD", noWrites)).Text()!;

        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "60000", "WRITE")).Text());
        var held = new List<(RespTestClient Client, Task<Reply> Reply)>();
        try
        {
            foreach (var command in new[] { new[] { "SET", "k", "v" }, ["PFCOUNT", "hll"], ["PUBLISH", "ch", "m"], ["EVAL", "return 1", "0"] })
            {
                var client = await RespTestClient.ConnectAsync(node.RespPort);
                held.Add((client, client.SendAsync(command)));
                await WaitForAsync(async () => Blocked(await admin.SendAsync("INFO", "clients")) == held.Count, $"{command[0]} held");
            }

            Assert.Contains("flags=b", (await admin.SendAsync("CLIENT", "LIST")).Text());
            Assert.Equal("-ERR wrong number of arguments for 'set' command", (await reader.SendAsync("SET", "k")).Text());
            Assert.Equal("nw", (await reader.SendAsync("EVAL", noWrites, "0")).Text());
            Assert.Equal("nw", (await reader.SendAsync("EVALSHA", sha, "0")).Text());
            Assert.Equal("ro", (await reader.SendAsync("FCALL", "ro", "0")).Text());
            Assert.Equal(4, Blocked(await admin.SendAsync("INFO", "clients")));
            Assert.All(held, h => Assert.False(h.Reply.IsCompleted));

            Assert.Equal("OK", (await admin.SendAsync("CLIENT", "UNPAUSE")).Text());
            Assert.Equal(["OK", "1", "0", "1"], (await Task.WhenAll(held.Select(static h => h.Reply))).Select(static r => r.Text()));
            Assert.Equal(0, Blocked(await admin.SendAsync("INFO", "clients")));
        }
        finally
        {
            foreach (var (client, _) in held)
                await client.DisposeAsync();
        }
    }

    private static int Blocked(Reply info) =>
        int.Parse(info.Text()!.Split("blocked_clients:")[1].Split('\r')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
                return;
            await Task.Delay(50);
        }

        Assert.Fail($"not within 10 s: {what}");
    }

    [Fact]
    public async Task ClientKill_ById_ClosesThatConnection_AndOldFormAnswersNoSuchClient()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await using var victim = await RespTestClient.ConnectAsync(node.RespPort);
        var id = (await victim.SendAsync("CLIENT", "ID")).Text()!;

        Assert.Equal("1", (await admin.SendAsync("CLIENT", "KILL", "ID", id)).Text());
        Assert.True(await victim.IsClosedByServerAsync());
        Assert.Equal("0", (await admin.SendAsync("CLIENT", "KILL", "ID", id)).Text());
        Assert.Equal("-ERR No such client", (await admin.SendAsync("CLIENT", "KILL", "1.2.3.4:5")).Text());
        Assert.Equal("-ERR Unknown client type 'x'", (await admin.SendAsync("CLIENT", "KILL", "TYPE", "x")).Text());
    }

    [Fact]
    public async Task ClientSubcommand_WithTheWrongArgumentCount_NamesClientPipeSubcommand()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("-ERR wrong number of arguments for 'client|kill' command", (await client.SendAsync("CLIENT", "KILL")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'client|id' command", (await client.SendAsync("CLIENT", "ID", "x")).ToString());
        Assert.StartsWith("-ERR unknown subcommand 'nope'", (await client.SendAsync("CLIENT", "nope")).ToString());
    }

    [Fact]
    public async Task PipelinedWrites_HeldByClientPause_ApplyInTheOrderSent()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "PAUSE", "60000", "WRITE")).Text());
        var pipeline = string.Concat(Enumerable.Range(0, 200).Select(static i => $"SET k {i}\r\n"));
        await writer.SendRawAsync(System.Text.Encoding.ASCII.GetBytes(pipeline));
        await Task.Delay(200);
        Assert.Equal("OK", (await admin.SendAsync("CLIENT", "UNPAUSE")).Text());
        for (var i = 0; i < 200; i++)
            Assert.Equal("OK", (await writer.ReadReplyAsync()).Text());
        Assert.Equal("199", (await writer.SendAsync("GET", "k")).Text());
    }

    [Fact]
    public async Task ClientReplyOff_SilencesOtherClientCommands_AndResetEndsIt()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        // Redis answers nothing to CLIENT SETNAME under REPLY OFF: the next reply the client reads is CLIENT REPLY ON's.
        await client.SendRawAsync("CLIENT REPLY OFF\r\nCLIENT SETNAME quiet\r\nCLIENT REPLY ON\r\n"u8.ToArray());
        Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        Assert.Equal("quiet", (await client.SendAsync("CLIENT", "GETNAME")).Text());

        await client.SendRawAsync("CLIENT REPLY OFF\r\nRESET\r\n"u8.ToArray());
        Assert.Equal("RESET", (await client.ReadReplyAsync()).Text());
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
    }

    [Fact]
    public async Task SubcommandWithLineBreaks_AddsNoLineToInfoCommandstats()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        await client.SendAsync("OBJECT", "x\r\nrole:master");
        var info = (await client.SendAsync("INFO", "commandstats")).Text()!;
        Assert.DoesNotContain("\nrole:master", info, StringComparison.Ordinal);
        Assert.Contains("cmdstat_object:", info, StringComparison.Ordinal);
    }
}
