using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// An HTTP request sent to the RESP port (cross-protocol scripting: a web page makes a browser POST to
/// 127.0.0.1:6379) closes the connection as Redis 7 does: a command named POST or "Host:" closes it at once, nothing
/// that follows it runs, no reply of that read is sent, and a warning is logged. Each test checks what redis-server
/// 7.0.15 answers to the same bytes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CrossProtocolScriptingTests
{
    [Fact]
    public async Task HttpPost_FromHttpClient_ClosesTheConnection_RunsNothing_AndIsLogged()
    {
        var logs = new CapturedLogs();
        await using var cluster = await TestCluster.StartAsync(1);
        cluster.Nodes[0].TestServices = services => services.AddSingleton<ILoggerProvider>(logs);
        await cluster.StopNodeAsync(0);
        await cluster.StartNodeAsync(0);
        var node = await cluster.WaitForLeaderAsync();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await Assert.ThrowsAsync<HttpRequestException>(() =>
            http.PostAsync($"http://127.0.0.1:{node.RespPort}/", new StringContent("SET pwned 1\r\n")));

        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Null((await client.SendAsync("GET", "pwned")).Text());
        Assert.Contains(logs.Entries, static e => e.Level == LogLevel.Warning && e.Message.StartsWith("Possible SECURITY ATTACK detected.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 13\r\n\r\nSET pwned 1\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\n\r\nSET pwned 1\r\n")]
    [InlineData("PING\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\nSET pwned 1\r\n")]
    [InlineData("*1\r\n$4\r\npost\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$1\r\n1\r\n")]
    [InlineData("*2\r\n$5\r\nHOST:\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$1\r\n1\r\n")]
    [InlineData("MULTI\r\nPOST x\r\nSET pwned 1\r\nEXEC\r\n")]
    public async Task HttpLikeRequestInOneRead_ClosesTheConnection_WithoutAnyReply_AndRunsNothingAfterIt(string request)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();

        var received = await SendAndReadToEndAsync(node.RespPort, [Encoding.ASCII.GetBytes(request)]);

        // redis-server 7.0.15 answers none of these (the replies of that read are dropped with the client) and closes.
        Assert.Equal("", received);
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Null((await client.SendAsync("GET", "pwned")).Text());
        Assert.Equal("PONG", (await client.SendAsync("PING")).Text());
    }

    [Fact]
    public async Task HttpGetLine_AloneIsAWrongArityGet_ThenTheHostHeaderClosesTheConnection()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();

        var received = await SendAndReadToEndAsync(node.RespPort, ["GET / HTTP/1.1\r\n"u8.ToArray(), "Host: localhost\r\n\r\nSET pwned 1\r\n"u8.ToArray()]);

        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n", received);
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Null((await client.SendAsync("GET", "pwned")).Text());
    }

    /// <summary>
    /// Sends each part as its own read (waiting for the reply to the first parts), then reads until the node closes the
    /// connection; a connection still open after 30 s fails the test.
    /// </summary>
    private static async Task<string> SendAndReadToEndAsync(int port, byte[][] parts)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = 0; i < parts.Length; i++)
        {
            await stream.WriteAsync(parts[i], timeout.Token);
            if (i < parts.Length - 1)
                received.Write(buffer, 0, await stream.ReadAsync(buffer, timeout.Token));
        }

        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) is var read and > 0)
                received.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // A reset counts as closed.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
