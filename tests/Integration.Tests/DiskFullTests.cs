using System.Diagnostics;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// A node whose data disk fills (a small tmpfs this test mounts; CI runs as root) refuses writes with MISCONF,
/// keeps serving reads, loses nothing acknowledged, and accepts writes again once space returns.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class DiskFullTests
{
    [Fact]
    public async Task DiskNearlyFull_WritesRefused_ReadsServed_RecoversWhenSpaceReturns()
    {
        var mount = Path.Combine(Path.GetTempPath(), $"raftkv-smallfs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        Run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount);
        try
        {
            await using var cluster = await ProcessCluster.StartAsync(1, new()
            {
                ["RaftKV:DataDirectory"] = Path.Combine(mount, "data"),
                ["RaftKV:WalChunkSizeBytes"] = "1048576",
                ["RaftKV:MinFreeDiskBytes"] = (24L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            var port = cluster.Nodes[0].RespPort;
            for (var i = 0; i < 50; i++)
                Assert.StartsWith("+OK", await RawResp.TryCommandAsync(port, $"SET before{i} value{i}", timeout: RawResp.Answer));

            var junk = Path.Combine(mount, "junk");
            await using (var stream = File.Create(junk))
            {
                var block = new byte[1024 * 1024];
                var free = new DriveInfo(mount).AvailableFreeSpace;
                for (long written = 0; written < free - (16L * 1024 * 1024); written += block.Length)
                    await stream.WriteAsync(block);
            }

            await Task.Delay(400);
            Assert.StartsWith("-MISCONF", await RawResp.TryCommandAsync(port, "SET during 1", timeout: RawResp.Answer));
            Assert.StartsWith("$6\r\nvalue7", await RawResp.TryCommandAsync(port, "GET before7", timeout: RawResp.Answer));
            Assert.Contains("raftkv_disk_writes_refused:1", await RawResp.TryCommandAsync(port, "INFO persistence", timeout: RawResp.Answer));

            File.Delete(junk);
            await Task.Delay(400);
            Assert.StartsWith("+OK", await RawResp.TryCommandAsync(port, "SET after 1", timeout: RawResp.Answer));
            for (var i = 0; i < 50; i++)
                Assert.Contains($"value{i}", await RawResp.TryCommandAsync(port, $"GET before{i}", timeout: RawResp.Answer));
            Assert.StartsWith("$-1", await RawResp.TryCommandAsync(port, "GET during", timeout: RawResp.Answer));
            Assert.True(cluster.Nodes[0].IsRunning, "the node died:\n" + cluster.Nodes[0].Output);
        }
        finally
        {
            Run("umount", "-l", mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {error}");
    }
}
