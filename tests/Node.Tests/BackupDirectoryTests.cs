using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// RAFTKV.BACKUP writes only under the node's backup directory: a client names a file inside it and never reaches the
/// rest of the file system (a backup to an absolute path once replaced a file under /etc).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BackupDirectoryTests
{
    [Fact]
    public async Task Backup_RelativeName_IsWrittenUnderTheDefaultBackupDirectory_AndTheReplyNamesTheFile()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("SET", "k", "v")).Text());

        var reply = (await client.SendAsync("RAFTKV.BACKUP", "daily/first.rkv")).Text();

        var expected = Path.Combine(Path.GetFullPath(node.DataDirectory), "backups", "daily", "first.rkv");
        Assert.StartsWith("OK index=", reply);
        Assert.EndsWith(" file=" + expected, reply);
        Assert.True(new FileInfo(expected).Length > 0);
    }

    [Fact]
    public async Task Backup_ConfiguredDirectory_IsCreatedOnDemand_AndAnAbsolutePathInsideItIsAccepted()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"raftkv-backups-{Guid.NewGuid():N}", "nested");
        try
        {
            await using var cluster = await TestCluster.StartAsync(1, new() { ["BackupDirectory"] = directory });
            var node = await cluster.WaitForLeaderAsync();
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);

            Assert.StartsWith("OK index=", (await client.SendAsync("RAFTKV.BACKUP", "a.rkv")).Text());
            Assert.StartsWith("OK index=", (await client.SendAsync("RAFTKV.BACKUP", Path.Combine(directory, "b.rkv"))).Text());

            Assert.True(File.Exists(Path.Combine(directory, "a.rkv")));
            Assert.True(File.Exists(Path.Combine(directory, "b.rkv")));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Fact]
    public async Task Backup_AbsolutePathOutsideTheDirectory_IsRefused_AndTheTargetIsUntouched()
    {
        var victim = Path.Combine(Path.GetTempPath(), $"raftkv-victim-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(victim, "precious");
        try
        {
            await using var cluster = await TestCluster.StartAsync(1);
            var node = await cluster.WaitForLeaderAsync();
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);

            var reply = (await client.SendAsync("RAFTKV.BACKUP", victim)).Text();

            Assert.StartsWith("-ERR ", reply);
            Assert.Contains("outside the backup directory", reply);
            Assert.Equal("precious", await File.ReadAllTextAsync(victim));
            Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
        }
        finally
        {
            File.Delete(victim);
        }
    }

    [Theory]
    [InlineData("../escaped.rkv")]
    [InlineData("../../escaped.rkv")]
    [InlineData("daily/../../escaped.rkv")]
    [InlineData("daily/../inside-but-dotted.rkv")]
    public async Task Backup_PathWithDotDot_IsRefused_AndNothingIsWritten(string name)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        var reply = (await client.SendAsync("RAFTKV.BACKUP", name)).Text();

        Assert.StartsWith("-ERR ", reply);
        var data = Path.GetFullPath(node.DataDirectory);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(data)!, "*.rkv", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Backup_ThroughASymlinkLeadingOutside_IsRefused_AndNothingIsWrittenThere()
    {
        var outside = Directory.CreateTempSubdirectory("raftkv-outside");
        try
        {
            await using var cluster = await TestCluster.StartAsync(1);
            var node = await cluster.WaitForLeaderAsync();
            var backups = Directory.CreateDirectory(Path.Combine(node.DataDirectory, "backups"));
            Directory.CreateSymbolicLink(Path.Combine(backups.FullName, "link"), outside.FullName);
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);

            var direct = (await client.SendAsync("RAFTKV.BACKUP", Path.Combine(backups.FullName, "link", "x.rkv"))).Text();
            var deeper = (await client.SendAsync("RAFTKV.BACKUP", "link/new/x.rkv")).Text();

            Assert.StartsWith("-ERR ", direct);
            Assert.StartsWith("-ERR ", deeper);
            Assert.Empty(outside.GetFileSystemInfos("*", SearchOption.AllDirectories));
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Backup_WhenTheBackupDirectoryItselfIsASymlink_WritesThroughIt()
    {
        // The operator's own link (backups on another disk) is the directory: only links below it are checked.
        var target = Directory.CreateTempSubdirectory("raftkv-backup-target");
        var link = Path.Combine(Path.GetTempPath(), $"raftkv-backup-link-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(link, target.FullName);
        try
        {
            await using var cluster = await TestCluster.StartAsync(1, new() { ["BackupDirectory"] = link });
            var node = await cluster.WaitForLeaderAsync();
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);

            Assert.StartsWith("OK index=", (await client.SendAsync("RAFTKV.BACKUP", "x.rkv")).Text());
            Assert.True(File.Exists(Path.Combine(target.FullName, "x.rkv")));
        }
        finally
        {
            Directory.Delete(link);
            target.Delete(recursive: true);
        }
    }
}
