using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests.Resp;

/// <summary>
/// RaftKV:RespEventLoops picks the RESP transport: event loops of RaftKV's own (the default, 1), several of them, or
/// Kestrel's socket transport (0). Every other test runs the default; these check the others serve the same.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RespTransportChoiceTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("3")]
    public async Task Node_ServesPipelinedRespAndClosesOnQuit_OverEitherTransport(string loops)
    {
        await using var cluster = await TestCluster.StartAsync(1, new Dictionary<string, string> { ["RespEventLoops"] = loops });
        var leader = await cluster.WaitForLeaderAsync();

        var clients = new List<RespTestClient>();
        for (var i = 0; i < 6; i++)
            clients.Add(await RespTestClient.ConnectAsync(leader.RespPort));
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
