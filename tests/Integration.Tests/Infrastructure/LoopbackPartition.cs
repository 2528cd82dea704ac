using System.Diagnostics;
using System.Globalization;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>
/// Real network partitions between node processes on loopback. Every node shares 127.0.0.1 and connects from
/// ephemeral ports, so addresses and ports cannot tell one node's packets from another's; instead each node runs in a
/// cgroup v2 of its own (<see cref="CgroupOf"/>, given to <see cref="ProcessCluster.StartAsync"/>) and
/// <see cref="Cut"/> adds iptables OUTPUT rules on lo that drop what a node's sockets send to the other node's Raft and
/// snapshot ports, in both directions. The test process, clients and every other node are untouched.
/// Needs root, a cgroup2 mount and iptables with the cgroup match (<see cref="IsAvailable"/>). Dispose removes every
/// rule this instance added and then its cgroups; a rule left by a crashed run matches only sockets of its own
/// (by then empty) cgroups, so it cannot cut a later run.
/// </summary>
internal sealed class LoopbackPartition : IDisposable
{
    private readonly string _mount;
    private readonly string _name = "raftkv-it-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string[]> _rules = [];
    private readonly Lock _gate = new();

    private LoopbackPartition(string mount)
    {
        _mount = mount;
        Directory.CreateDirectory(Path.Combine(_mount, _name));
    }

    /// <summary>Creates the partition's cgroup; throws with the reason when <see cref="IsAvailable"/> is false.</summary>
    public static LoopbackPartition Create() =>
        IsAvailable(out var reason) ? new LoopbackPartition(CgroupMount()!) : throw new InvalidOperationException(reason);

    /// <summary>
    /// True when this process can partition: root, a writable cgroup2 mount a child process can join, iptables with the
    /// cgroup match (a container without them, or a user without root, cannot).
    /// </summary>
    public static bool IsAvailable(out string reason)
    {
        if (!OperatingSystem.IsLinux())
            reason = "not Linux";
        else if (!Environment.IsPrivilegedProcess)
            reason = "not root (iptables and cgroups need it)";
        else if (CgroupMount() is not { } mount)
            reason = "no cgroup2 mount in /proc/self/mounts";
        else
            reason = Probe(mount);
        return reason.Length == 0;
    }

    /// <summary>Tries each step of a cut once, on a cgroup of its own and the discard port; "" when all work.</summary>
    private static string Probe(string mount)
    {
        var name = "raftkv-it-probe-" + Guid.NewGuid().ToString("N")[..12];
        var path = Path.Combine(mount, name);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot create a cgroup in {mount}: {e.Message}";
        }

        try
        {
            if (Run("/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\"", path) is var (joinCode, joinOutput) && joinCode != 0)
                return "a process cannot join a new cgroup: " + joinOutput.Trim();
            string[] rule = ["OUTPUT", "-o", "lo", "-p", "tcp", "--dport", "9", "-m", "cgroup", "--path", name, "-j", "DROP"];
            if (Run("iptables", ["-w", "-I", .. rule]) is var (code, output) && code != 0)
                return "iptables cannot drop by cgroup: " + output.Trim();
            Run("iptables", ["-w", "-D", .. rule]);
            return "";
        }
        finally
        {
            for (var tries = 0; tries < 50 && Directory.Exists(path); tries++)
            {
                try
                {
                    Directory.Delete(path);
                }
                catch (IOException)
                {
                    Thread.Sleep(100); // the shell that joined it is still being reaped
                }
            }
        }
    }

    /// <summary>The cgroup directory node <paramref name="index"/> is started in (created on first use).</summary>
    public string CgroupOf(int index)
    {
        var path = Path.Combine(_mount, _name, "node" + index.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Drops every packet either node sends to the other's Raft or snapshot port (new and open connections).</summary>
    public void Cut(NodeProcess a, NodeProcess b)
    {
        Drop(a, b);
        Drop(b, a);
    }

    /// <summary>Removes every rule added so far: all links work again.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            var failures = new List<string>();
            foreach (var rule in _rules)
            {
                var (code, output) = Run("iptables", ["-w", "-D", .. rule]);
                if (code != 0)
                    failures.Add(string.Join(' ', rule) + ": " + output.Trim());
            }

            _rules.Clear();
            if (failures.Count > 0)
                throw new InvalidOperationException("iptables -D failed for: " + string.Join("; ", failures));
        }
    }

    /// <summary>Removes the rules, then the cgroups (the cluster, disposed first, has killed the nodes by then).</summary>
    public void Dispose()
    {
        try
        {
            Heal();
        }
        finally
        {
            RemoveCgroups();
        }
    }

    private void Drop(NodeProcess from, NodeProcess to)
    {
        var cgroup = Path.GetRelativePath(_mount, CgroupOf(from.Index));
        foreach (var port in new[] { to.RaftPort, to.SnapshotPort })
        {
            string[] rule =
            [
                "OUTPUT", "-o", "lo", "-p", "tcp", "--dport", port.ToString(CultureInfo.InvariantCulture),
                "-m", "cgroup", "--path", cgroup, "-m", "comment", "--comment", _name, "-j", "DROP",
            ];
            var (code, output) = Run("iptables", ["-w", "-I", .. rule]);
            if (code != 0)
                throw new InvalidOperationException($"iptables -I {string.Join(' ', rule)} failed: {output.Trim()}");
            lock (_gate)
                _rules.Add(rule);
        }
    }

    private void RemoveCgroups()
    {
        var root = Path.Combine(_mount, _name);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Directory.Exists(root))
        {
            try
            {
                // cgroupfs removes a group with rmdir only: its control files cannot be deleted one by one.
                foreach (var child in Directory.GetDirectories(root))
                    Directory.Delete(child);
                Directory.Delete(root);
            }
            catch (IOException)
            {
                // A killed node's process is still being reaped; past the deadline the empty group is left to the OS.
                if (DateTime.UtcNow > deadline)
                    return;
                Thread.Sleep(200);
            }
        }
    }

    private static string? CgroupMount()
    {
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "cgroup2")
                return fields[1];
        }

        return null;
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, file + ": " + e.Message);
        }
    }
}
