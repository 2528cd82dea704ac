using RaftKV.Node.Tests.Infrastructure;

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
}
