using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace RaftKV.Node.Resp.EventLoop;

/// <summary>
/// Accepts RESP connections (with .NET's socket engine: accepting is rare) and hands each to one of the event loops in
/// turn, which serves it from then on.
/// </summary>
internal sealed class EventLoopListener : IConnectionListener
{
    private const int Backlog = 512;

    private readonly Socket _socket;
    private readonly RespEventLoop[] _loops;
    private int _next;

    public EventLoopListener(EventLoopEndPoint endPoint, RespEventLoop[] loops)
    {
        _loops = loops;
        _socket = new Socket(endPoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Address.Equals(IPAddress.IPv6Any))
                _socket.DualMode = true;
            _socket.Bind(endPoint.Address);
            _socket.Listen(Backlog);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        EndPoint = new EventLoopEndPoint((IPEndPoint)_socket.LocalEndPoint!);
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException
                                          || e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                return null; // unbound
            }
            catch (SocketException)
            {
                continue; // the client left before it was accepted
            }

            try
            {
                accepted.NoDelay = true;
                accepted.Blocking = false;
                var loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
                var connection = new LoopConnection(accepted, loop);
                loop.Add(connection);
                return connection;
            }
            catch (SocketException)
            {
                accepted.Dispose(); // reset as it was set up
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
