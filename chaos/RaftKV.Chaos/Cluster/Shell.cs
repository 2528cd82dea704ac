using System.Diagnostics;

namespace RaftKV.Chaos.Cluster;

/// <summary>Runs short system commands (ip, iptables, kill) with a time limit.</summary>
internal static class Shell
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs a command and returns its exit code and combined output; never hangs past the timeout.</summary>
    public static (int Code, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(DefaultTimeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} timed out");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs a command that must succeed.</summary>
    public static string Must(string file, params string[] args)
    {
        var (code, output) = Run(file, args);
        if (code != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({code}): {output.Trim()}");
        return output;
    }

    /// <summary>Sends a signal by name (KILL, STOP, CONT) to one process id.</summary>
    public static bool Signal(int pid, string signal) => Run("kill", "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).Code == 0;
}
