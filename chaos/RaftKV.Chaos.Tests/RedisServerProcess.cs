using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RaftKV.Tests.Shared;

namespace RaftKV.Chaos.Tests;

/// <summary>
/// A redis-server 7.0 of this test's own (CI installs it, as for the differential tests) on a free loopback port,
/// without persistence; killed on dispose. <c>extraArguments</c> go to its command line.
/// </summary>
internal sealed class RedisServerProcess : IDisposable
{
    private const string ServerPath = "/usr/bin/redis-server";
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-chaos-redis-" + Guid.NewGuid().ToString("N"));

    public RedisServerProcess(params string[] extraArguments)
    {
        Directory.CreateDirectory(_directory);
        Endpoint = new IPEndPoint(IPAddress.Loopback, TestPorts.Next());
        var info = new ProcessStartInfo(ServerPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _directory };
        foreach (var argument in (string[])["--port", Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", _directory, .. extraArguments])
            info.ArgumentList.Add(argument);
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + ServerPath);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening(TimeSpan.FromSeconds(30));
    }

    public IPEndPoint Endpoint { get; }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(Endpoint);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
            catch (SocketException e)
            {
                Dispose();
                throw new InvalidOperationException($"redis-server did not listen on {Endpoint}: {e.Message}; output: {Output}", e);
            }
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleanup.
        }
    }
}
