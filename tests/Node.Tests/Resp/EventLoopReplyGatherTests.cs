using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Resp;
using RaftKV.Node.Resp.EventLoop;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests.Resp;

/// <summary>
/// A reply a session appends on the RESP event loop's thread reaches its socket once the loop has handled every socket
/// its wait reported ready, as Redis writes its clients' replies before it sleeps. Sent at once, the reply woke its
/// client, which preempted the loop on a busy machine (a tenth of the loop's samples under GET -c 50 were that switch).
/// </summary>
public sealed class EventLoopReplyGatherTests
{
    [Fact]
    public async Task AReplyAppendedOnTheLoop_ReachesTheSocketWhenTheLoopsPassEnds_AndTheSessionReadsOnMeanwhile()
    {
        using var factory = new EventLoopTransportFactory(1, NullLoggerFactory.Instance);
        var listener = await factory.BindAsync(new EventLoopEndPoint(new IPEndPoint(IPAddress.Loopback, 0)));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, ((EventLoopEndPoint)listener.EndPoint).Address.Port);
        var server = (await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!;
        using var output = new OutputBuffer();
        output.UseDirect(server.Features.Get<IDirectOutput>()!);

        var handled = HandleOneRequestAsync(server, output, client);
        await client.SendAsync("PING\r\n"u8.ToArray());
        var (thread, answering, deferring, availableAfterAppend) = await handled.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("RESP loop", thread);
        Assert.False(answering); // not an applied batch's pass: the session is not sent off the loop's thread
        Assert.True(deferring);
        // Over loopback a send delivers before it returns: a reply sent at its append would be readable already.
        Assert.Equal(0, availableAfterAppend);

        var buffer = new byte[16];
        var received = await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(buffer, 0, received));

        await output.CompleteAsync();
        await server.DisposeAsync();
        await listener.DisposeAsync();
    }

    // Resumed by the request's bytes on the loop's thread (ConfigureAwait(false)): appends a reply there and reports
    // what the client's socket held right after the append.
    private static async Task<(string? Thread, bool Answering, bool Deferring, int AvailableAfterAppend)> HandleOneRequestAsync(
        Microsoft.AspNetCore.Connections.ConnectionContext server, OutputBuffer output, Socket client)
    {
        var result = await server.Transport.Input.ReadAsync().ConfigureAwait(false);
        server.Transport.Input.AdvanceTo(result.Buffer.End);
        var appended = output.AppendAsync([Reply.Ok], 2, 0);
        var available = client.Available;
        var state = (Thread.CurrentThread.Name, ReplyFlushes.Active, ReplyFlushes.Deferring, available);
        await appended.ConfigureAwait(false);
        return state;
    }
}
