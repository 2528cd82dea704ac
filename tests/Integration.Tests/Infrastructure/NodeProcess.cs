using System.Diagnostics;
using System.Text;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>One RaftKV node as a real OS process (dotnet RaftKV.Node.dll), killable with SIGKILL.</summary>
internal sealed class NodeProcess(int index, int respPort, int raftPort, int grpcPort, int snapshotPort, string dataDirectory)
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Index { get; } = index;

    public int RespPort { get; } = respPort;

    public int RaftPort { get; } = raftPort;

    public int GrpcPort { get; } = grpcPort;

    /// <summary>Where the node serves snapshot downloads (chosen with the others, so no node takes another's port).</summary>
    public int SnapshotPort { get; } = snapshotPort;

    public string DataDirectory { get; } = dataDirectory;

    /// <summary>Where the node serves /metrics and /health/*.</summary>
    public int MetricsPort { get; } = TestPorts.Next();

    public string Endpoint => $"127.0.0.1:{RespPort}";

    /// <summary>
    /// A cgroup v2 directory the process starts in (before it opens any socket), so that iptables can tell its packets
    /// apart (<see cref="LoopbackPartition"/>); null: the test process's own cgroup.
    /// </summary>
    public string? Cgroup { get; set; }

    public bool IsRunning => _process is { HasExited: false };

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public void Start(IReadOnlyList<string> members, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo(Cgroup is null ? "dotnet" : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(NodeBinary.Path)!,
        };
        if (Cgroup is not null)
        {
            // The shell joins the cgroup and execs dotnet in place: same process id, so Kill and Signal still reach the node.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("echo $$ > \"$0/cgroup.procs\" && exec \"$@\"");
            info.ArgumentList.Add(Cgroup);
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(NodeBinary.Path);
        info.ArgumentList.Add($"--RaftKV:NodeId=node{Index}");
        info.ArgumentList.Add($"--RaftKV:RespEndpoint=127.0.0.1:{RespPort}");
        info.ArgumentList.Add($"--RaftKV:RaftEndpoint=127.0.0.1:{RaftPort}");
        info.ArgumentList.Add($"--RaftKV:GrpcEndpoint=127.0.0.1:{GrpcPort}");
        info.ArgumentList.Add($"--RaftKV:SnapshotTransferEndpoint=127.0.0.1:{SnapshotPort}");
        info.ArgumentList.Add($"--RaftKV:DataDirectory={DataDirectory}");
        info.ArgumentList.Add($"--RaftKV:MetricsEndpoint=127.0.0.1:{MetricsPort}");
        for (var i = 0; i < members.Count; i++)
            info.ArgumentList.Add($"--RaftKV:Members:{i}={members[i]}");
        foreach (var (key, value) in settings)
            info.ArgumentList.Add($"--{key}={value}");

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>
    /// For a process that has exited: waits until its redirected output is read to the end (HasExited turns true before
    /// the last lines reach <see cref="Output"/>; WaitForExit without a timeout waits for both streams' end).
    /// </summary>
    public void WaitForOutputEnd()
    {
        if (_process is { HasExited: true } p)
            p.WaitForExit();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { } p && !p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>SIGSTOP (pause = true) or SIGCONT: the process keeps its sockets but stops answering, like a long GC pause.</summary>
    public void Signal(bool pause)
    {
        if (_process is not { HasExited: false } p)
            return;
        using var signal = Process.Start("kill", [pause ? "-STOP" : "-CONT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        signal.WaitForExit();
    }

    /// <summary>SIGTERM, then wait for a graceful exit.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        if (_process is not { } p || p.HasExited)
            return true;
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        return p.WaitForExit(timeout);
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>The node's resident set size (VmRSS from /proc) in bytes, or null when it is not running or not on Linux.</summary>
    public long? ResidentBytes()
    {
        if (_process is not { HasExited: false } p)
            return null;
        try
        {
            var line = File.ReadLines($"/proc/{p.Id}/status").FirstOrDefault(static l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
