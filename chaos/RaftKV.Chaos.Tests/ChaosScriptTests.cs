using System.Diagnostics;

namespace RaftKV.Chaos.Tests;

/// <summary>scripts/chaos.sh itself: the parts of it that run no cluster.</summary>
public sealed class ChaosScriptTests
{
    // Regression: with CHAOS_NODE_REV the commit's sources were exported into the build's output folder, which the SDK
    // leaves out of the compilation; the build failed with CS5001 (no Main) and no run of an older commit was possible.
    [Fact]
    public async Task NodeRev_BuildsTheNodeOfThatCommit()
    {
        var root = RepositoryRoot();
        var info = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var output = Path.Combine(Path.GetTempPath(), "raftkv-chaos-script-" + Guid.NewGuid().ToString("N"));
        info.ArgumentList.Add(Path.Combine(root, "scripts", "chaos.sh"));
        info.ArgumentList.Add("--out");
        info.ArgumentList.Add(output);
        info.Environment["CHAOS_NODE_REV"] = "HEAD";
        info.Environment["CHAOS_BUILD_ONLY"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await standardOutput + await errors;
        Assert.True(process.ExitCode == 0, $"chaos.sh exited {process.ExitCode}:\n{text}");
        Assert.Contains("chaos: RaftKV.Node built", text, StringComparison.Ordinal);
        Assert.Contains("building RaftKV.Node at HEAD", text, StringComparison.Ordinal);
        // The exported sources and the binaries are removed at exit.
        Assert.Empty(Directory.GetDirectories(output, ".node-*"));
        Directory.Delete(output, recursive: true);
    }

    // The clone the tests run in (CI runs them in a git clone of main): the folder above the test binaries holding the
    // solution and .git.
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RaftKV.sln")))
            {
                Assert.True(Directory.Exists(Path.Combine(directory.FullName, ".git")) || File.Exists(Path.Combine(directory.FullName, ".git")),
                    $"{directory.FullName} is not a git work tree: CHAOS_NODE_REV exports a commit with git archive");
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("RaftKV.sln not found above " + AppContext.BaseDirectory);
    }
}
