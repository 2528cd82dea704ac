using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>INFO's section selection as Redis 7.0's: "all" and "everything" add commandstats to the default sections, each once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class InfoSectionTests
{
    [Fact]
    public async Task InfoAll_HasCommandstats_InfoDefault_DoesNot_AndNoSectionTwice()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        await client.SendAsync("PING");

        foreach (var args in new[] { new[] { "INFO" }, ["INFO", "default"], ["INFO", "cpu", "default"] })
        {
            var info = (await client.SendAsync(args)).Text()!;
            Assert.Contains("used_cpu_user", info);
            Assert.DoesNotContain("rejected_calls", info);
        }

        foreach (var args in new[] { new[] { "INFO", "all" }, ["INFO", "everything"], ["INFO", "cpu", "all"], ["INFO", "default", "commandstats"] })
        {
            var info = (await client.SendAsync(args)).Text()!;
            Assert.Contains("used_memory", info);
            Assert.Contains("rejected_calls", info);
            Assert.Contains("rdb_changes_since_last_save:", info);
            Assert.Equal(1, info.Split("# CPU").Length - 1);
        }
    }
}
