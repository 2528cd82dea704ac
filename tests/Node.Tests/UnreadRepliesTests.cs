using System.Text;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// A client that writes a long pipeline before reading any reply is still read and answered (issue 12, bug 3: the
/// node stopped reading while its replies were unread and the client stopped reading while its writes were
/// blocked, a deadlock). Replies wait in an output buffer bounded as Redis's client-output-buffer-limit: a client
/// whose unread replies exceed the limit is closed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UnreadRepliesTests
{
    // Loopback socket buffers and Kestrel's pipes hold about 8 MB on the test machine (a send stalled there before the
    // fix); these pipelines are several times that in each direction, so the old node deadlocks on them.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task PipelineWrittenBeforeReadingAnyReply_IsAnsweredInOrder()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        const int count = 12_000;
        var frame = new MemoryStream();
        for (var i = 0; i < count; i++)
            frame.Write(Encoding.ASCII.GetBytes($"ECHO {Payload(i, 4000)}\r\n"));
        await client.SendRawAsync(frame.ToArray()).WaitAsync(Generous);

        for (var i = 0; i < count; i++)
            Assert.Equal(Payload(i, 4000), (await client.ReadReplyAsync()).Text());
    }

    // The Redis test suite's "PIPELINING stresser": SET and GET pairs through the log, all written before any read.
    // Large values make the volume that deadlocked without many commits (each SET -> GET turn waits for one).
    [Fact]
    public async Task SetGetPairsWrittenBeforeReadingAnyReply_AreAllAnswered()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        const int count = 2_000;
        var frame = new MemoryStream();
        for (var i = 0; i < count; i++)
            frame.Write(Encoding.ASCII.GetBytes($"SET key:{i} {Payload(i, 16_000)}\r\nGET key:{i}\r\n"));
        await client.SendRawAsync(frame.ToArray()).WaitAsync(Generous);

        for (var i = 0; i < count; i++)
        {
            Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
            Assert.Equal(Payload(i, 16_000), (await client.ReadReplyAsync()).Text());
        }
    }

    [Fact]
    public async Task ClientThatNeverReads_IsClosed_WhenItsUnreadRepliesExceedTheLimit()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["OutputBufferLimitBytes"] = "1048576" });
        var node = await cluster.WaitForLeaderAsync();

        // A small fixed receive buffer: with the kernel's autotuning (up to 32 MB here) the socket buffers alone could
        // take every reply, and the node would rightly never see them pending (the test once failed that way).
        await using var client = await RespTestClient.ConnectAsync(node.RespPort, receiveBufferSize: 64 * 1024);

        // 2,000 x 64 KB of replies against a 1 MB limit. The requests must be far more than the socket buffers hold in
        // both directions: with 400 (26 MB) the node's receive buffer (autotuned up to 32 MB) could take every request
        // before the node read one, the send completed, and the client read the replies as they came (the test failed
        // now and then that way). The node closes the connection, which fails the send or ends the replies early.
        const int count = 2_000;
        var request = Encoding.ASCII.GetBytes($"ECHO {Payload(0, 64_000)}\r\n");
        var sent = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < count; i++)
                    await client.SendRawAsync(request);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Closed by the node while still sending.
            }
        });
        await sent.WaitAsync(Generous);

        var received = 0;
        try
        {
            while (received < count)
            {
                await client.ReadReplyAsync();
                received++;
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // End of stream or reset: the node closed the connection.
        }

        Assert.True(received < count, $"all {count} replies arrived: the client was never closed");
    }

    [Fact]
    public async Task SubscriberThatNeverReads_IsClosed_WhenItsUnreadMessagesExceedThePubSubLimit()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["PubSubOutputBufferLimitBytes"] = "1048576" });
        var node = await cluster.WaitForLeaderAsync();
        await using var subscriber = await RespTestClient.ConnectAsync(node.RespPort, receiveBufferSize: 64 * 1024);
        await using var publisher = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("[$subscribe, $news, :1]", (await subscriber.SendAsync("SUBSCRIBE", "news")).ToString());

        // PUBLISH answers how many subscribers got the message: 0 once the node has closed the one that never reads.
        var message = Payload(0, 64_000);
        var receivers = "1";
        for (var i = 0; i < 2_000 && receivers != "0"; i++)
            receivers = (await publisher.SendAsync("PUBLISH", "news", message)).Text();

        Assert.Equal("0", receivers);
    }

    private static string Payload(int i, int length) => i.ToString("D8") + new string((char)('a' + (i % 26)), length - 8);
}
