using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace RaftKV.Node.Raft;

/// <summary>
/// The plaintext Raft transport (DotNext's connection-oriented protocol over RaftKV's sockets, through
/// <see cref="DotNext.Net.Cluster.Consensus.Raft.RaftCluster.CustomTransportConfiguration"/>): a connection to the Raft
/// port is handed to DotNext only when it comes from the address of a member (<paramref name="isMember"/>); any other
/// is closed before a byte of it is read. Outgoing connections leave from this node's Raft address, so that the members
/// see the address they know it by on a host with several. DotNext's own TCP server has no hook to refuse a peer: it
/// reads any peer's messages (one byte made a leader resign). Under Tls:Raft the certificate check does this instead.
/// </summary>
internal sealed partial class MemberOnlyTransport : IConnectionListenerFactory, IConnectionFactory
{
    // DotNext sizes its transmission blocks by the writer's first span: one block carries a round's entries whole.
    private const int BufferSize = 64 * 1024;

    private readonly IPAddress? _source;
    private readonly Func<IPAddress, bool> _isMember;
    private readonly ILogger _logger;
    private long _refused;

    /// <param name="local">This node's Raft endpoint: outgoing connections are bound to its address unless it is a wildcard.</param>
    /// <param name="isMember">Whether a peer address belongs to a member (asked at every accepted connection).</param>
    public MemberOnlyTransport(IPEndPoint local, Func<IPAddress, bool> isMember, ILoggerFactory loggerFactory)
    {
        _isMember = isMember;
        _logger = loggerFactory.CreateLogger<MemberOnlyTransport>();
        _source = local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any) ? null : local.Address;
    }

    /// <summary>Connections refused because they came from no member's address.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, this));
    }

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (_source is not null && _source.AddressFamily == endpoint.AddressFamily)
                socket.Bind(new IPEndPoint(_source, 0));
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new SocketConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The address a peer is compared by: an IPv4 address mapped into IPv6 as the IPv4 one.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Listener(Socket socket, MemberOnlyTransport owner) : IConnectionListener
    {
        public EndPoint EndPoint => socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted })
                {
                    return null;
                }

                if (accepted.RemoteEndPoint is IPEndPoint peer && owner._isMember(Normalize(peer.Address)))
                {
                    accepted.NoDelay = true;
                    return new SocketConnection(accepted);
                }

                Interlocked.Increment(ref owner._refused);
                owner.LogRefused(accepted.RemoteEndPoint?.ToString() ?? "unknown");
                accepted.LingerState = new LingerOption(true, 0);
                accepted.Dispose();
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// A Raft connection: the socket's stream as pipes that read and write it on the caller's flow (no scheduler hop
    /// between the socket and DotNext's protocol, as in DotNext's own TCP transport).
    /// </summary>
    private sealed class SocketConnection : ConnectionContext
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly CancellationTokenSource _closed = new();
        private int _disposed;

        public SocketConnection(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: false);
            Transport = new DuplexPipe(
                PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: BufferSize, leaveOpen: true)),
                PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: BufferSize, leaveOpen: true)));
            LocalEndPoint = socket.LocalEndPoint;
            RemoteEndPoint = socket.RemoteEndPoint;
        }

        public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; }

        public override CancellationToken ConnectionClosed
        {
            get => _closed.Token;
            set => throw new NotSupportedException();
        }

        public override void Abort(ConnectionAbortedException abortReason) => Close();

        public override async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            Close();
            await Transport.Input.CompleteAsync().ConfigureAwait(false);
            await Transport.Output.CompleteAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            _closed.Dispose();
        }

        private void Close()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Reset or closed already.
            }

            _socket.Dispose();
            try
            {
                _closed.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Aborted after it was disposed.
            }
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a Raft connection from {Peer}: not the address of a member (RaftMembersOnly)")]
    private partial void LogRefused(string peer);
}
