using System.Diagnostics;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>
/// Runs a program of tests/Integration.Tests/Clients/node with Node.js, where scripts/test.sh installs the client
/// libraries (<c>npm ci</c> from its package-lock.json). A missing node or missing packages make the program fail,
/// and so the test: it never skips.
/// </summary>
internal static class NodeJs
{
    public static string ClientsDirectory { get; } = Path.Combine(NodeBinary.RepositoryRoot, "tests", "Integration.Tests", "Clients", "node");

    /// <summary>Starts <c>node program arguments...</c>; the caller reads its output and waits for it.</summary>
    public static Process Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ClientsDirectory,
        };
        start.ArgumentList.Add(Path.Combine(ClientsDirectory, program));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException("node did not start");
    }

    /// <summary>Runs <c>node program arguments...</c> for up to <paramref name="limit"/> (two minutes); returns the exit code and stdout + stderr.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(string program, IEnumerable<string> arguments, TimeSpan? limit = null)
    {
        using var process = Start(program, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"node {program} ran past its limit: {await stdout}{await stderr}");
        }

        return (process.ExitCode, (await stdout + await stderr).Trim());
    }
}
