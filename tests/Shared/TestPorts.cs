using System.Net;
using System.Net.Sockets;

namespace RaftKV.Tests.Shared;

/// <summary>
/// Loopback ports for test nodes, picked below the OS's ephemeral range. A port the OS hands out for bind(0) lies in
/// that range, so between picking it and a node binding it any outgoing connection (a client, a Raft peer, another
/// test running in parallel) could take it as its source port: CI saw EADDRINUSE that way. Below the range only an
/// explicit bind takes a port; a lock file per port keeps two test processes on one machine from picking the same one.
/// </summary>
internal static class TestPorts
{
    private const int Lowest = 10_000;
    private static readonly Lock Gate = new();
    private static readonly List<FileStream> Held = [];
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "raftkv-test-ports");
    private static readonly int Highest = EphemeralLow() - 1;
    private static int _next = Lowest + Random.Shared.Next(Math.Max(1, Highest - Lowest));

    /// <summary>A port nobody listens on and no other test process holds; held until this process exits.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            Directory.CreateDirectory(LockDirectory);
            for (var tries = 0; tries < Highest - Lowest; tries++)
            {
                var port = _next;
                _next = _next >= Highest ? Lowest : _next + 1;
                if (TryHold(port))
                    return port;
            }
        }

        throw new InvalidOperationException($"no free loopback port between {Lowest} and {Highest}");
    }

    private static bool TryHold(int port)
    {
        FileStream held;
        try
        {
            // FileShare.None takes an exclusive advisory lock the OS drops when the process exits, however it exits.
            held = new FileStream(Path.Combine(LockDirectory, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite,
                FileShare.None);
        }
        catch (IOException)
        {
            return false;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
        }
        catch (SocketException)
        {
            held.Dispose();
            return false;
        }

        Held.Add(held);
        return true;
    }

    // Linux: /proc/sys/net/ipv4/ip_local_port_range ("32768 60999" by default). Elsewhere IANA's 49152.
    private static int EphemeralLow()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            var low = int.Parse(text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]);
            return low > Lowest + 1_000 ? low : 49_152;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 49_152;
        }
    }
}
