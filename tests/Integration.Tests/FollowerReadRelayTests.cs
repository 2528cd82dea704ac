using System.Net.Sockets;
using System.Text;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// A read sent to a follower is relayed to the leader; when the leader stops answering and another is elected, the
/// follower relays the read again to the new leader instead of answering "CLUSTERDOWN The write was sent but its outcome
/// is unknown" (a clean-clone run beside a CPU hog failed RedisCliTests so: a GET through a follower during an election).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class FollowerReadRelayTests
{
    [Fact]
    public async Task ReadOnAFollower_WhileTheLeaderIsPaused_IsAnsweredThroughTheNextLeader()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(leader.RespPort, "SET relayed before", timeout: RawResp.Answer) ?? "");

        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", follower.RespPort);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);

        // The first read opens the follower's relay connection to this leader.
        Assert.Equal("$6 before", await GetAsync(stream, reader, "relayed"));
        leader.Signal(pause: true);
        try
        {
            // Written to the paused leader over that connection; an election replaces the leader meanwhile.
            Assert.Equal("$6 before", await GetAsync(stream, reader, "relayed"));
        }
        finally
        {
            leader.Signal(pause: false);
        }
    }

    /// <summary>Sends GET and returns the reply's first line, and its second for a bulk string, joined by a space.</summary>
    private static async Task<string> GetAsync(NetworkStream stream, StreamReader reader, string key)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {key}\r\n"), timeout.Token);
        var first = await reader.ReadLineAsync(timeout.Token) ?? "(closed)";
        return first.StartsWith('$') && first != "$-1" ? first + " " + await reader.ReadLineAsync(timeout.Token) : first;
    }
}
