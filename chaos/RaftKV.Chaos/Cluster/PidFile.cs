using System.Globalization;

namespace RaftKV.Chaos.Cluster;

/// <summary>
/// Remembers the node processes this harness started, in a fixed file, so that a run can kill what a crashed
/// earlier run left behind (loopback mode has no namespace to sweep). Only processes whose command line names
/// RaftKV.Node.dll are ever killed.
/// </summary>
internal static class PidFile
{
    private static readonly string s_path = Path.Combine(Path.GetTempPath(), "rkvc-nodes.pids");
    private static readonly Lock s_lock = new();

    public static void Add(int pid)
    {
        lock (s_lock)
            File.AppendAllText(s_path, pid.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    public static void KillLeftovers()
    {
        lock (s_lock)
        {
            if (!File.Exists(s_path))
                return;
            foreach (var line in File.ReadAllLines(s_path))
            {
                if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    continue;
                var cmdline = $"/proc/{pid}/cmdline";
                try
                {
                    if (File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("RaftKV.Node.dll", StringComparison.Ordinal))
                        Shell.Signal(pid, "KILL");
                }
                catch (IOException)
                {
                    // The process went away between the check and the read.
                }
            }
            File.Delete(s_path);
        }
    }
}
