using System.Globalization;
using System.Net.Sockets;
using System.Text;
using RaftKV.Integration.Tests.Fuzz;
using RaftKV.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Random and mutated RESP frames (<see cref="RespFuzzFrames"/>) against a real 3-node cluster, over many connections
/// to the leader and the followers, for a bounded time and number of frames. Whatever a client sends, a node answers
/// errors or closes that connection: afterwards every process is alive, answers PING, serves a write and a read, the
/// replicas' digests agree, and headers claiming huge lengths made nothing large be allocated. The seed is printed and
/// named in every failure; RAFTKV_FUZZ_SEED=n replays it (RAFTKV_FUZZ_SECONDS and RAFTKV_FUZZ_FRAMES run longer).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RespFuzzTests(ITestOutputHelper output)
{
    private const int Workers = 6;
    private static readonly int MaxFrames =
        int.TryParse(Environment.GetEnvironmentVariable("RAFTKV_FUZZ_FRAMES"), CultureInfo.InvariantCulture, out var f) ? f : 6000;

    /// <summary>Far above a node's resident size here (about 150-250 MB), far below what one honoured huge length costs.</summary>
    private const long MemoryBound = 1L << 30;

    [Fact]
    public async Task RandomAndMutatedFrames_ThroughLeaderAndFollowers_NodesSurvive_ServeWrites_AndReplicasAgree()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RAFTKV_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("RAFTKV_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var t) ? t : 20;
        output.WriteLine($"fuzz seed {seed} (RAFTKV_FUZZ_SEED={seed} replays it), {seconds} s");
        await using var cluster = await ProcessCluster.StartAsync(3);

        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var sent = new int[1];
        var connections = new int[1];
        var closedByNode = new int[1];
        var answered = new int[1];
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w =>
            Task.Run(() => FuzzAsync(cluster, new RespFuzzFrames(seed + w), deadline, sent, connections, closedByNode, answered))));
        output.WriteLine($"{sent[0]} frames over {connections[0]} connections; {closedByNode[0]} closed by a node, {answered[0]} answered");

        var claimed = await HoldHugeClaimsAsync(cluster);
        output.WriteLine("resident while huge lengths were claimed: " + string.Join(", ", claimed.Select(static b => $"{b / (1024 * 1024)} MiB")));

        var context = $"seed {seed}";
        foreach (var node in cluster.Nodes)
            Assert.True(node.IsRunning, $"{context}: node{node.Index} exited ({node.ExitCode}):\n{node.Output}");
        Assert.All(claimed, b => Assert.True(b < MemoryBound, $"{context}: a node held {b} bytes while clients claimed huge lengths"));

        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        foreach (var node in cluster.Nodes)
            Assert.StartsWith("+PONG", await RawResp.TryCommandAsync(node.RespPort, "PING", timeout: RawResp.Answer) ?? $"{context}: node{node.Index} did not answer");
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(follower.RespPort, "SET fz:after fuzzed", timeout: RawResp.Answer) ?? $"{context}: no reply");
        Assert.StartsWith("$6\r\nfuzzed", await RawResp.TryCommandAsync(leader.RespPort, "GET fz:after", timeout: RawResp.Answer) ?? $"{context}: no reply");

        var digests = await AgreedDigestsAsync(cluster);
        Assert.True(digests.Distinct().Count() == 1, $"{context}: replicas disagree: {string.Join(", ", digests)}");
        Assert.DoesNotContain("+0000000000000000000000000000000000000000", digests[0]);

        // An exception inside a command is answered "-ERR internal error" and logged at Error level: a bug all the same.
        var failures = cluster.Nodes.SelectMany(static n => LogEntries(n.Output, "fail:", "crit:", "warn:").Select(l => $"node{n.Index}: {l}")).ToList();
        foreach (var line in failures.Distinct())
            output.WriteLine(line);
        Assert.True(!failures.Exists(static l => l.Contains("fail: RaftKV.", StringComparison.Ordinal) || l.Contains("crit: ", StringComparison.Ordinal)),
            $"{context}: a command failed inside a node (an internal error):\n{string.Join('\n', failures)}");
        output.WriteLine("node log lines by level: " + string.Join(", ", cluster.Nodes.SelectMany(static n => n.Output.Split('\n'))
            .Where(static l => l.Length > 5 && l[4] == ':').GroupBy(static l => l[..5]).Select(static g => $"{g.Key} {g.Count()}")));
        foreach (var node in cluster.Nodes)
            Assert.True(node.IsRunning, $"{context}: node{node.Index} exited ({node.ExitCode}):\n{node.Output}");
    }

    /// <summary>One worker: connection after connection to a random node, a few frames each, then a short read or an abrupt close.</summary>
    private static async Task FuzzAsync(
        ProcessCluster cluster, RespFuzzFrames frames, DateTime deadline, int[] sent, int[] connections, int[] closedByNode, int[] answered)
    {
        var buffer = new byte[64 * 1024];
        while (DateTime.UtcNow < deadline && Volatile.Read(ref sent[0]) < MaxFrames)
        {
            var node = cluster.Nodes[frames.Pick(cluster.Nodes.Count)];
            var count = frames.FramesPerConnection();
            var batch = Enumerable.Range(0, count).Select(_ => frames.Next()).ToList();
            var abrupt = frames.CloseAbruptly();
            Interlocked.Add(ref sent[0], count);
            Interlocked.Increment(ref connections[0]);
            try
            {
                using var tcp = new TcpClient { NoDelay = true };
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await tcp.ConnectAsync("127.0.0.1", node.RespPort, timeout.Token);
                var stream = tcp.GetStream();
                foreach (var frame in batch)
                    await stream.WriteAsync(frame, timeout.Token);
                if (abrupt)
                {
                    tcp.Client.LingerState = new LingerOption(true, 0); // a reset, not a FIN
                    continue;
                }

                // Replies or the close; a connection still waiting for the rest of a frame is left after a moment.
                using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                var received = 0;
                int n;
                while (received < 4 << 20 && (n = await stream.ReadAsync(buffer, quiet.Token)) > 0)
                {
                    if (received == 0)
                        Interlocked.Increment(ref answered[0]);
                    received += n;
                }

                if (received < 4 << 20)
                    Interlocked.Increment(ref closedByNode[0]);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // Closed by the node, or still open when the read window ended: both are allowed answers.
            }
        }
    }

    /// <summary>
    /// Clients that claim the largest lengths a node accepts (a million arguments, 512 MB bulks) and send only a little
    /// of them: the node must wait for the bytes, not allocate for the claim. Returns each node's resident size while the
    /// claims are held.
    /// </summary>
    private static async Task<List<long>> HoldHugeClaimsAsync(ProcessCluster cluster)
    {
        var held = new List<TcpClient>();
        try
        {
            var payload = new byte[16 * 1024];
            Array.Fill(payload, (byte)'x');
            for (var i = 0; i < 60; i++)
            {
                var node = cluster.Nodes[i % cluster.Nodes.Count];
                var tcp = new TcpClient { NoDelay = true };
                held.Add(tcp);
                await tcp.ConnectAsync("127.0.0.1", node.RespPort);
                var header = (i % 3) switch
                {
                    0 => "*1048576\r\n$3\r\nSET\r\n",
                    1 => "*3\r\n$3\r\nSET\r\n$4\r\nfz:h\r\n$536870912\r\n",
                    _ => "*1048576\r\n$536870912\r\n",
                };
                await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(header));
                await tcp.GetStream().WriteAsync(payload);
            }

            await Task.Delay(1000);
            return cluster.Nodes.Select(static n => n.ResidentBytes() ?? 0).ToList();
        }
        finally
        {
            foreach (var tcp in held)
                tcp.Dispose();
        }
    }

    /// <summary>The console logger's entries at the given levels: the "level: category" line and the message line after it.</summary>
    private static IEnumerable<string> LogEntries(string output, params string[] levels)
    {
        var lines = output.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!levels.Any(l => lines[i].StartsWith(l, StringComparison.Ordinal)))
                continue;

            // The message and, for an exception, its indented stack (up to the next entry).
            var end = i + 1;
            while (end < lines.Length && end < i + 16 && lines[end].StartsWith(' '))
                end++;
            yield return string.Join(" | ", lines[i..end].Select(static l => l.Trim()));
        }
    }

    private static async Task<string?[]> AgreedDigestsAsync(ProcessCluster cluster)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string?[] digests = [];
        while (DateTime.UtcNow < deadline)
        {
            digests = await Task.WhenAll(cluster.Nodes.Select(static n => RawResp.TryCommandAsync(n.RespPort, "DEBUG DIGEST")));
            if (digests.All(static d => d is not null && d.StartsWith('+')) && digests.Distinct().Count() == 1)
                break;
            await Task.Delay(250);
        }

        return digests;
    }
}
