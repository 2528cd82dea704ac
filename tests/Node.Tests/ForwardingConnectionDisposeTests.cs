using System.Net;
using System.Net.Sockets;
using RaftKV.Node.Execution;

namespace RaftKV.Node.Tests;

/// <summary>
/// A relayed command given up while its bytes are still being sent (its client left, or the leader stopped reading)
/// drops the forwarding connection without an exception: found by the RESP fuzz test, where disposing it threw
/// ObjectDisposedException (the pipe reader closed the stream, then the writer flushed into it) and the client's
/// command answered "-ERR internal error" with a failure logged.
/// </summary>
public sealed class ForwardingConnectionDisposeTests
{
    [Fact]
    public async Task Dispose_AfterASendCancelledMidWrite_DoesNotThrow()
    {
        var port = TestPorts.Next();
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        try
        {
            var accepting = listener.AcceptTcpClientAsync();
            var connecting = ForwardingConnection.ConnectAsync($"127.0.0.1:{port}", new byte[32], null, CancellationToken.None);
            using var leader = await accepting;
            var stream = leader.GetStream();
            var handshake = new byte[256];
            _ = await stream.ReadAsync(handshake);
            await stream.WriteAsync("+OK\r\n"u8.ToArray());
            var connection = await connecting;

            // The leader reads nothing more: a command far larger than the socket buffers cannot be written.
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await Assert.ThrowsAnyAsync<Exception>(() => connection.SendAsync([new byte[64 << 20]], 3, giveUp.Token));

            await connection.DisposeAsync();
        }
        finally
        {
            listener.Stop();
        }
    }
}
