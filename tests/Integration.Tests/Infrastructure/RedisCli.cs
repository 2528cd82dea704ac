using System.Diagnostics;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>Runs the real redis-cli (Debian's redis-tools; .ci/run installs it).</summary>
internal static class RedisCli
{
    public static async Task<string> RunAsync(int port, params string[] args)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-p");
        info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (output + error).TrimEnd('\n');
    }
}
