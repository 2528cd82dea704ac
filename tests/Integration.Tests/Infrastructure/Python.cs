using System.Diagnostics;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>
/// Runs Debian's python3, the one python3-redis installs redis-py into (.ci/run installs it). A missing redis-py makes
/// the program fail, and so the test: it never skips.
/// </summary>
internal static class Python
{
    /// <summary>Runs <c>python3 -c program arguments...</c> for up to two minutes; returns the exit code and stdout + stderr.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string program, params IEnumerable<string> arguments)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
