using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests.Resp;

/// <summary>
/// RaftKV:RespEventLoops picks the RESP transport: event loops of RaftKV's own (the default, 1), several of them, or
/// Kestrel's socket transport (0). Every other test runs the default; these check each serves the same, requests
/// larger than what the transport holds before it pauses reading included.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RespTransportChoiceTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("3")]
    public async Task Node_ServesPipelinedAndLargeRequestsAndClosesOnQuit_OverEitherTransport(string loops)
    {
        await using var cluster = await TestCluster.StartAsync(1, new Dictionary<string, string> { ["RespEventLoops"] = loops });
        var leader = await cluster.WaitForLeaderAsync();

        var clients = new List<RespTestClient>();
        for (var i = 0; i < 6; i++)
            clients.Add(await RespTestClient.ConnectAsync(leader.RespPort));
        // Requests larger than the transport holds unread before it stops reading the socket (1 MiB): one 4 MB
        // argument, and 60 arguments of 100 KB in one request.
        var big = new string('v', 4 * 1024 * 1024);
        Assert.Equal("OK", (await clients[0].SendAsync("SET", "big", big)).Text());
        Assert.Equal(big.Length.ToString(), (await clients[0].SendAsync("STRLEN", "big")).Text());
        Assert.Equal("60", (await clients[1].SendAsync(["RPUSH", "list", .. Enumerable.Repeat(new string('w', 100_000), 60)])).Text());

        for (var i = 0; i < clients.Count; i++)
        {
            var frame = new System.Text.StringBuilder();
            for (var n = 0; n < 50; n++)
                frame.Append($"*3\r\n$3\r\nSET\r\n$2\r\nk{i}\r\n${n.ToString().Length}\r\n{n}\r\n*2\r\n$3\r\nGET\r\n$2\r\nk{i}\r\n");
            await clients[i].SendRawAsync(System.Text.Encoding.ASCII.GetBytes(frame.ToString()));
        }

        for (var i = 0; i < clients.Count; i++)
        {
            for (var n = 0; n < 50; n++)
            {
                Assert.Equal("OK", (await clients[i].ReadReplyAsync()).Text());
                Assert.Equal(n.ToString(), (await clients[i].ReadReplyAsync()).Text());
            }

            Assert.Equal("OK", (await clients[i].SendAsync("QUIT")).Text());
            Assert.True(await clients[i].IsClosedByServerAsync());
            await clients[i].DisposeAsync();
        }
    }
}
