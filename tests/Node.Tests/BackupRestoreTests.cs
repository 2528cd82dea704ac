using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>RAFTKV.BACKUP writes a consistent snapshot file; RestoreFrom bootstraps a new cluster from it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task Backup_ThenRestoreIntoNewCluster_DigestEqual_AndTheNewClusterServesWrites()
    {
        var directory = Directory.CreateTempSubdirectory("raftkv-backups");
        var backup = Path.Combine(directory.FullName, "backup.rkv");
        try
        {
            string? digest;
            await using (var source = await TestCluster.StartAsync(3, new() { ["BackupDirectory"] = directory.FullName }))
            {
                var leader = await source.WaitForLeaderAsync();
                await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
                for (var i = 0; i < 200; i++)
                    Assert.Equal("OK", await client.SendRetryingAsync("SET", $"b{i}", $"value-{i}"));
                Assert.Equal("3", (await client.SendAsync("INCRBY", "counter", "3")).Text());

                var reply = (await client.SendAsync("RAFTKV.BACKUP", "backup.rkv")).Text();
                Assert.StartsWith("OK index=", reply);
                digest = (await client.SendAsync("DEBUG", "DIGEST")).Text();
            }

            await using var restored = await TestCluster.StartAsync(1, new() { ["RestoreFrom"] = backup });
            var node = await restored.WaitForLeaderAsync();
            await using (var client = await RespTestClient.ConnectAsync(node.RespPort))
            {
                Assert.Equal(digest, (await client.SendAsync("DEBUG", "DIGEST")).Text());
                Assert.Equal("value-199", (await client.SendAsync("GET", "b199")).Text());
                Assert.Equal("4", (await client.SendAsync("INCR", "counter")).Text());
            }

            // A restart keeps the node's own data; RestoreFrom is not applied twice.
            await restored.StopNodeAsync(0);
            await restored.StartNodeAsync(0);
            await restored.WaitForLeaderAsync();
            await using var again = await RespTestClient.ConnectAsync(node.RespPort);
            Assert.Equal("4", (await again.SendAsync("GET", "counter")).Text());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Backup_ToAPathThatCannotBeWritten_AnswersAnError_NodeKeepsServing()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        Directory.CreateDirectory(Path.Combine(node.DataDirectory, "backups", "taken"));
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        var reply = (await client.SendAsync("RAFTKV.BACKUP", "taken")).Text();
        Assert.StartsWith("-ERR backup failed:", reply);
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
    }
}
