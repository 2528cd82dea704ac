using System.Text;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>Hostile or broken clients get Redis's replies and hurt nobody else.</summary>
[Collection(ProcessCollection.Name)]
public sealed class BadInputTests
{
    [Fact]
    public async Task MalformedFrame_ClosesOnlyThatConnection_NodeKeepsServing()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        using var healthy = new System.Net.Sockets.TcpClient();
        await healthy.ConnectAsync("127.0.0.1", node.RespPort);

        var reply = await RawResp.ExchangeAsync(node.RespPort, "*1\r\n$abc\r\n"u8.ToArray(), TimeSpan.FromSeconds(5));
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", Encoding.ASCII.GetString(reply));

        var stream = healthy.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray());
        var buffer = new byte[64];
        var n = await stream.ReadAsync(buffer);
        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task FourGigabyteBulkLength_RefusedFromTheHeaderAlone()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster.Nodes[0];

        // Only the header is sent: a server that waited for (or allocated) 4 GB would time out here.
        var reply = await RawResp.ExchangeAsync(node.RespPort, "*2\r\n$3\r\nSET\r\n$4294967296\r\n"u8.ToArray(), TimeSpan.FromSeconds(10));
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", Encoding.ASCII.GetString(reply));
        Assert.StartsWith("+PONG", await RawResp.TryCommandAsync(node.RespPort, "PING", timeout: RawResp.Answer));
    }

    [Fact]
    public async Task UnknownCommand_GetsRedisText_ConnectionStaysOpen()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        var reply = await RawResp.ExchangeAsync(node.RespPort, "x a b\r\nPING\r\nQUIT\r\n"u8.ToArray(), TimeSpan.FromSeconds(5));
        Assert.Equal("-ERR unknown command 'x', with args beginning with: 'a' 'b' \r\n+PONG\r\n+OK\r\n", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public async Task WrongArity_AndWrongSelect_GetRedisErrors()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        var reply = await RawResp.ExchangeAsync(node.RespPort, "GET\r\nSELECT 1\r\nSELECT 0\r\nQUIT\r\n"u8.ToArray(), TimeSpan.FromSeconds(5));
        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n-ERR DB index is out of range\r\n+OK\r\n+OK\r\n", Encoding.ASCII.GetString(reply));
    }
}
