using System.Net.Sockets;
using System.Text;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// A node process runs short commands on the threads that poll its sockets (src/Node/Server/InlineIo.cs). A command that
/// may run long must move to the thread pool first: on a polling thread it would hold every connection that thread
/// polls, so one client's slow read would stall other clients (and the node's Raft traffic) until it ends.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class InlineIoTests
{
    [Fact]
    public async Task ASlowReadOnOneConnection_OtherConnectionsAreAnsweredMeanwhile()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

        // Every connection opened and answered first, so each is polled by its own thread (they alternate) by the time
        // the slow read runs: about half share the slow one's.
        using var slow = new TcpClient();
        var others = new List<TcpClient>();
        try
        {
            await slow.ConnectAsync("127.0.0.1", leader.RespPort);
            Assert.Equal("+PONG", await ExchangeAsync(slow, "PING\r\n"u8.ToArray(), lines: 1));
            for (var i = 0; i < 8; i++)
            {
                var client = new TcpClient();
                others.Add(client);
                await client.ConnectAsync("127.0.0.1", leader.RespPort);
                Assert.Equal("+PONG", await ExchangeAsync(client, "PING\r\n"u8.ToArray(), lines: 1));
            }

            // 800,000 distinct strings: sorting them takes the node about a second, more on a busy machine.
            var random = new Random(17);
            var fill = new StringBuilder();
            for (var command = 0; command < 800; command++)
            {
                fill.Append("*1002\r\n$5\r\nRPUSH\r\n$3\r\nbig\r\n");
                for (var i = 0; i < 1000; i++)
                    fill.Append("$16\r\n").Append(random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n");
            }

            var filled = await ExchangeAsync(slow, Encoding.ASCII.GetBytes(fill.ToString()), lines: 800);
            Assert.EndsWith(":800000", filled, StringComparison.Ordinal);

            var sorted = ExchangeAsync(slow, Encoding.ASCII.GetBytes("SORT_RO big ALPHA LIMIT 0 1\r\n"), lines: 3);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            Assert.False(sorted.IsCompleted, "the sort ended within 200 ms: lengthen the list");

            var answers = await Task.WhenAll(others.Select(client => ExchangeAsync(client, "PING\r\n"u8.ToArray(), lines: 1)));
            Assert.False(sorted.IsCompleted, "the PINGs were answered only after the slow read ended");
            Assert.All(answers, answer => Assert.Equal("+PONG", answer));
            Assert.StartsWith("*1\r\n$16\r\n", await sorted, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var client in others)
                client.Dispose();
        }
    }

    /// <summary>Sends bytes and reads until the reply holds <paramref name="lines"/> CRLF-terminated lines.</summary>
    private static async Task<string> ExchangeAsync(TcpClient client, byte[] request, int lines)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stream = client.GetStream();
        await stream.WriteAsync(request, timeout.Token);
        var reply = new StringBuilder();
        var buffer = new byte[64 * 1024];
        var seen = 0;
        while (seen < lines)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
                break;
            var text = Encoding.ASCII.GetString(buffer, 0, read);
            seen += text.Split("\r\n").Length - 1;
            reply.Append(text);
        }

        return reply.ToString().TrimEnd();
    }
}
