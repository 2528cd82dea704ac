using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace RaftKV.Chaos.Cluster;

/// <summary>
/// One RaftKV node process: started through <c>/bin/sh -c 'exec [ip netns exec ns] dotnet RaftKV.Node.dll ...'</c>
/// so that the process id we hold is the node's own, killed with SIGKILL, paused with SIGSTOP/SIGCONT.
/// Output goes to <c>node.log</c> in the node's directory, appended across restarts.
/// </summary>
/// <param name="joinCommand">The same node started to join (no member list, RaftKV:Join=true): how a removed member
/// comes back with an empty data directory (<see cref="StartEmptyToJoin"/>).</param>
internal sealed class NodeProcess(int index, string name, IPEndPoint resp, IPEndPoint raft, string directory, IReadOnlyList<string> command,
    IReadOnlyList<string> joinCommand)
{
    private IReadOnlyList<string> _command = command;
    private Process? _process;
    private bool _expectedExit;

    public int Index { get; } = index;
    public string Name { get; } = name;
    public IPEndPoint Resp { get; } = resp;
    public IPEndPoint Raft { get; } = raft;

    /// <summary>The node's gRPC endpoint (null where the node serves none, as the harness's own tests).</summary>
    public IPEndPoint? Grpc { get; init; }
    public string Directory { get; } = directory;
    public bool IsPaused { get; private set; }
    public int? Pid => _process?.Id;

    /// <summary>True while the process is alive (paused counts as alive).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Set when the process exited although nobody killed it: a crash.</summary>
    public string? UnexpectedExit { get; private set; }

    public void Start()
    {
        if (IsRunning)
            return;
        CheckExit();
        System.IO.Directory.CreateDirectory(Directory);
        var line = "exec " + string.Join(' ', _command.Select(Quote)) + " >>" + Quote(Path.Combine(Directory, "node.log")) + " 2>&1";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Directory };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(line);
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Name}");
        _expectedExit = false;
        IsPaused = false;
        PidFile.Add(_process.Id);
    }

    /// <summary>
    /// Kills the node, empties its data directory (a removed member's is never reused) and starts it in Join mode, as
    /// an operator replaces a member: from then on it starts that way (its data directory then holds its membership).
    /// </summary>
    public void StartEmptyToJoin()
    {
        Kill();
        var data = Path.Combine(Directory, "data");
        if (System.IO.Directory.Exists(data))
            System.IO.Directory.Delete(data, recursive: true);
        _command = joinCommand;
        Start();
    }

    public void Kill()
    {
        if (_process is null)
            return;
        CheckExit();
        _expectedExit = true;
        if (!_process.HasExited)
        {
            Shell.Signal(_process.Id, "KILL");
            _process.WaitForExit(10_000);
        }
        IsPaused = false;
    }

    public void Pause()
    {
        if (IsRunning && !IsPaused && Shell.Signal(_process!.Id, "STOP"))
            IsPaused = true;
    }

    public void Resume()
    {
        if (_process is not null && IsPaused)
            Shell.Signal(_process.Id, "CONT");
        IsPaused = false;
    }

    /// <summary>Records a crash when the process is gone and we did not kill it.</summary>
    public void CheckExit()
    {
        if (_process is { HasExited: true } && !_expectedExit && UnexpectedExit is null)
            UnexpectedExit = $"{Name} exited by itself with code {_process.ExitCode.ToString(CultureInfo.InvariantCulture)} (see {Path.Combine(Directory, "node.log")})";
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
