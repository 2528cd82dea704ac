using System.Globalization;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The process-cluster launcher itself: a start that fails must not leave node processes behind.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ProcessClusterTests
{
    [Fact]
    public async Task StartAsync_NoLeaderWithinTheTimeout_ThrowsAndKillsTheNodesItStarted()
    {
        // An election timeout of ten minutes: the nodes start and listen but elect nobody within the test's wait.
        // The marker (a setting the node ignores) finds the test's processes by their command line.
        var marker = Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string>
        {
            ["RaftKV:ElectionTimeoutMinMs"] = "600000",
            ["RaftKV:ElectionTimeoutMaxMs"] = "600001",
            ["RaftKV:TestMarker"] = marker,
        };

        await Assert.ThrowsAsync<TimeoutException>(() => ProcessCluster.StartAsync(3, settings, leaderTimeout: TimeSpan.FromSeconds(15)));

        var left = ProcessesWith(marker);
        foreach (var pid in left)
        {
            // Cleans up after a failing run, so that it leaks nothing either.
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }

        Assert.True(left.Count == 0, $"{left.Count} node processes left running: {string.Join(' ', left)}");
    }

    private static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (IOException)
            {
                // The process exited while being listed.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's process: not one of ours.
            }
        }

        return found;
    }
}
