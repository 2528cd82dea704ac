using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using RaftKV.Node.Security;

namespace RaftKV.Node.Raft;

/// <summary>
/// The plaintext Raft transport: DotNext's connection-oriented protocol (through its public
/// <see cref="DotNext.Net.Cluster.Consensus.Raft.RaftCluster.CustomTransportConfiguration"/>) over RaftKV's own sockets,
/// which hand DotNext a connection only from a member. DotNext's TCP server has no hook to refuse a peer: it read any
/// peer's messages (one byte made a leader resign). Under Tls:Raft the certificate check does this instead.
/// <para>
/// Every connection opens with a handshake before any Raft byte: the accepting node sends a nonce (32 hex digits), the
/// connecting node answers with <see cref="MemberProof.ForRaft"/> of it under the cluster secret (64 hex digits; zeros
/// when it has none yet). The connection is handed to DotNext when the proof is right, or else when it comes from
/// the address of a member (<c>isMember</c>: a node that has not applied the secret yet, such as a brand-new cluster's
/// nodes or a restarted node whose secret is in its unapplied log tail). A member's proof is accepted whatever its
/// address, so a follower that missed a membership change still takes the new leader it does not know (Raft: a server
/// accepts requests from servers outside its configuration).
/// </para>
/// Outgoing connections leave from this node's Raft address, so that members see the address they know it by.
/// </summary>
internal sealed partial class MemberOnlyTransport : IConnectionListenerFactory, IConnectionFactory
{
    // DotNext sizes its transmission blocks by the writer's first span (16 KB: no difference from 64 KB measured).
    private const int BufferSize = 16 * 1024;

    /// <summary>Most handshakes under way from one address: a peer that opens connections and stays silent holds no more (the oldest is ended).</summary>
    internal const int MaxPendingPerAddress = 8;

    /// <summary>Most handshakes under way in all: what a flood from many addresses can hold at once (the oldest is ended).</summary>
    internal const int MaxPending = 256;

    private static readonly TimeSpan s_keepAliveIdle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_keepAliveInterval = TimeSpan.FromSeconds(2);

    private readonly IPAddress? _source;
    private readonly Func<IPAddress, bool> _isMember;
    private readonly Func<byte[]?> _secret;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ILogger _logger;
    private long _refused;
    private int _pendingHandshakes;

    /// <param name="local">This node's Raft endpoint: outgoing connections are bound to its address unless it is a wildcard.</param>
    /// <param name="isMember">Whether a peer address belongs to a member (asked when a connection brings no valid proof).</param>
    /// <param name="secret">The cluster secret this node has applied, or null.</param>
    /// <param name="handshakeTimeout">How long an accepted connection has to answer the nonce.</param>
    public MemberOnlyTransport(IPEndPoint local, Func<IPAddress, bool> isMember, Func<byte[]?> secret, TimeSpan handshakeTimeout, ILoggerFactory loggerFactory)
    {
        _isMember = isMember;
        _secret = secret;
        _handshakeTimeout = handshakeTimeout;
        _logger = loggerFactory.CreateLogger<MemberOnlyTransport>();
        _source = local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any) ? null : local.Address;
    }

    /// <summary>Connections refused: neither a valid proof nor a member's address, or no answer to the nonce in time.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR alone (a restart binds past its predecessor's TIME_WAIT connections). Socket.ReuseAddress
            // also sets SO_REUSEPORT on Linux, which would let a second process share the port.
            if (OperatingSystem.IsLinux())
                socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
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
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Configure(socket);
            if (_source is not null && _source.AddressFamily == endpoint.AddressFamily)
                socket.Bind(new IPEndPoint(_source, 0));
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);

            var nonce = new byte[MemberProof.NonceLength];
            await ReceiveExactlyAsync(socket, nonce, cancellationToken).ConfigureAwait(false);
            var proof = _secret() is { } secret
                ? Encoding.ASCII.GetBytes(MemberProof.ForRaft(secret, Encoding.ASCII.GetString(nonce)))
                : Encoding.ASCII.GetBytes(new string('0', MemberProof.Length));
            await socket.SendAsync(proof, SocketFlags.None, cancellationToken).ConfigureAwait(false);
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

    private static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        // A peer gone without a reset (a partition, a power loss) is noticed in about 16 s, not never.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)s_keepAliveIdle.TotalSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)s_keepAliveInterval.TotalSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
    }

    private static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
                throw new ConnectionResetException("The peer closed the connection during the Raft handshake");
            buffer = buffer[read..];
        }
    }

    // The accepting side of the handshake: the connection, or null when it was refused (Refused: the listener counts it
    // unless the handshake was evicted meanwhile, which counts itself) or ended by the peer.
    private async Task<(SocketConnection? Connection, bool Refused)> AdmitAsync(Socket socket, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_handshakeTimeout);
        var peer = socket.RemoteEndPoint as IPEndPoint;
        try
        {
            Configure(socket);
            var nonce = MemberProof.NewNonce();
            await socket.SendAsync(Encoding.ASCII.GetBytes(nonce), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var proof = new byte[MemberProof.Length];
            await ReceiveExactlyAsync(socket, proof, timeout.Token).ConfigureAwait(false);
            var proven = _secret() is { } secret && MemberProof.Matches(MemberProof.ForRaft(secret, nonce), proof);
            if (proven || (peer is not null && _isMember(Normalize(peer.Address))))
                return (new SocketConnection(socket), false);

            LogRefused(peer?.ToString() ?? "unknown");
            socket.Dispose();
            return (null, true);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            // Silent past the handshake timeout: refused like a wrong proof (it holds a connection and says nothing).
            LogRefused(peer?.ToString() ?? "unknown");
            socket.Dispose();
            return (null, true);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or ConnectionResetException or IOException)
        {
            // The peer gave up first: a member whose connect timed out while this node was paused or busy does, by the
            // dozen after a pause. Not a refusal.
            LogHandshakeAborted(peer?.ToString() ?? "unknown", e.Message);
        }

        socket.Dispose();
        return (null, false);
    }

    /// <summary>Handshakes under way on this transport's listeners (for tests).</summary>
    internal int PendingHandshakes => Volatile.Read(ref _pendingHandshakes);

    /// <summary>
    /// Accepts in a loop of its own and admits each connection in a task of its own, so that a peer slow to answer the
    /// nonce holds up nobody; DotNext takes the admitted ones from <see cref="AcceptAsync"/>. An exception out of
    /// AcceptAsync would end DotNext's accept loop for good: none leaves it but the end of listening.
    /// </summary>
    private sealed class Listener : IConnectionListener
    {
        private readonly Socket _socket;
        private readonly MemberOnlyTransport _owner;
        private readonly Channel<SocketConnection> _admitted = Channel.CreateUnbounded<SocketConnection>();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly LinkedList<Pending> _pending = new();
        private readonly Dictionary<IPAddress, int> _pendingFrom = [];

        public Listener(Socket socket, MemberOnlyTransport owner)
        {
            _socket = socket;
            _owner = owner;
            EndPoint = socket.LocalEndPoint!;
            _loop = AcceptLoopAsync();
        }

        public EndPoint EndPoint { get; }

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _admitted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        private async Task AcceptLoopAsync()
        {
            await Task.Yield();
            while (!_stop.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException
                                              || (e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted } && _stop.IsCancellationRequested))
                {
                    break;
                }
                catch (SocketException e)
                {
                    // A peer gone before the accept, or out of descriptors: accept again (after a pause, for the latter).
                    if (e.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.ConnectionAborted))
                    {
                        _owner.LogAcceptFailed(e.SocketErrorCode.ToString());
                        await Task.Delay(100).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }

                    continue;
                }

                _ = AdmitAsync(accepted);
            }

            _admitted.Writer.TryComplete();
        }

        // Starts the handshake's bookkeeping. Silent connections from a non-member cost a socket and a task each until
        // the handshake timeout; without a bound they could use up the node's descriptors, members' connections
        // included. At the bound the oldest handshake of the same address is ended, or when all together are at theirs,
        // the oldest of an address no member has: the newest is the likeliest to be live (after a pause a member's
        // timed-out attempts wait in the backlog ahead of its current one), and a flood from many addresses never ends a
        // member's. An ended handshake of a non-member counts as refused; a member's own stale attempt does not.
        private LinkedListNode<Pending> StartHandshake(Socket accepted)
        {
            var address = (accepted.RemoteEndPoint as IPEndPoint)?.Address is { } remote ? Normalize(remote) : IPAddress.None;
            var member = _owner._isMember(address);
            var evicted = new List<Pending>();
            LinkedListNode<Pending> node;
            lock (_pending)
            {
                if (_pendingFrom.GetValueOrDefault(address) >= MaxPendingPerAddress && Oldest(p => p.Address.Equals(address)) is { } same)
                    evicted.Add(same);
                if (_pending.Count >= MaxPending && Oldest(static p => !p.Member) is { } stranger)
                    evicted.Add(stranger);
                node = _pending.AddLast(new Pending(accepted, address, member));
                _pendingFrom[address] = _pendingFrom.GetValueOrDefault(address) + 1;
                Interlocked.Increment(ref _owner._pendingHandshakes);
            }

            foreach (var pending in evicted)
            {
                if (!pending.Member)
                {
                    Interlocked.Increment(ref _owner._refused);
                    _owner.LogEvicted(pending.Address.ToString(), MaxPendingPerAddress, MaxPending);
                }

                pending.Socket.Dispose();
            }

            return node;
        }

        // Caller holds the lock: the oldest pending handshake that matches, forgotten.
        private Pending? Oldest(Func<Pending, bool> matches)
        {
            for (var oldest = _pending.First; oldest is not null; oldest = oldest.Next)
            {
                if (matches(oldest.Value) && Forget(oldest))
                    return oldest.Value;
            }

            return null;
        }

        // Caller holds the lock; a node is forgotten once (evicted, or its handshake ended): false when it was already.
        private bool Forget(LinkedListNode<Pending> node)
        {
            if (node.List is null)
                return false;
            _pending.Remove(node);
            var address = node.Value.Address;
            if (_pendingFrom[address] == 1)
                _pendingFrom.Remove(address);
            else
                _pendingFrom[address]--;
            Interlocked.Decrement(ref _owner._pendingHandshakes);
            return true;
        }

        private async Task AdmitAsync(Socket accepted)
        {
            var node = StartHandshake(accepted);
            SocketConnection? connection = null;
            var refused = false;
            bool evicted;
            try
            {
                (connection, refused) = await _owner.AdmitAsync(accepted, _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                lock (_pending)
                    evicted = !Forget(node);
            }

            // Evicted as its handshake ended: its socket is closed already, and the eviction counted it.
            if (refused && !evicted)
                Interlocked.Increment(ref _owner._refused);
            if (connection is not null && (evicted || !_admitted.Writer.TryWrite(connection)))
                await connection.DisposeAsync().ConfigureAwait(false);
        }

        private sealed record Pending(Socket Socket, IPAddress Address, bool Member);

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default) => await StopAsync().ConfigureAwait(false);

        public async ValueTask DisposeAsync()
        {
            await StopAsync().ConfigureAwait(false);
            while (_admitted.Reader.TryRead(out var left))
                await left.DisposeAsync().ConfigureAwait(false);
        }

        private async Task StopAsync()
        {
            if (!_stop.IsCancellationRequested)
                await _stop.CancelAsync().ConfigureAwait(false);
            _socket.Dispose();
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// A Raft connection: the socket's stream as pipes that read and write it on the caller's flow (no scheduler hop
    /// between the socket and DotNext's protocol, as in DotNext's own TCP transport). Disposing closes the socket and
    /// nothing else: DotNext may dispose a connection while a request on it is still reading or writing, and completing
    /// the pipes then would free buffers in use.
    /// </summary>
    private sealed class SocketConnection : ConnectionContext
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _closed = new();
        private readonly CancellationToken _closedToken;
        private int _disposed;

        public SocketConnection(Socket socket)
        {
            _socket = socket;
            _closedToken = _closed.Token;
            var stream = new ResetMappingStream(new NetworkStream(socket, ownsSocket: false));
            Transport = new DuplexPipe(
                PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: BufferSize, leaveOpen: true)),
                PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: BufferSize, leaveOpen: true)));
            LocalEndPoint = socket.LocalEndPoint;
            RemoteEndPoint = socket.RemoteEndPoint;
        }

        public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; }

        public override CancellationToken ConnectionClosed
        {
            get => _closedToken;
            set => throw new NotSupportedException();
        }

        public override void Abort(ConnectionAbortedException abortReason) => Close();

        public override ValueTask DisposeAsync()
        {
            Close();
            return ValueTask.CompletedTask;
        }

        private void Close()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Reset or closed already.
            }

            _socket.Dispose();
            _closed.Cancel();
        }
    }

    /// <summary>
    /// The socket's stream, with a connection reset reported as <see cref="ConnectionResetException"/>, which DotNext
    /// logs as a peer that went away (a plain IOException is logged as a failed request, at Error).
    /// </summary>
    private sealed class ResetMappingStream(NetworkStream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
            {
                throw new ConnectionResetException(e.Message, e);
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
            {
                throw new ConnectionResetException(e.Message, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a Raft connection failed ({Error}); accepting again in 100 ms")]
    private partial void LogAcceptFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a Raft connection from {Peer}: no member's proof in time and not a member's address (RaftMembersOnly)")]
    private partial void LogRefused(string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended an unanswered Raft handshake from {Address}: at most {PerAddress} from one address and {Total} in all are under way at once, the oldest goes first (RaftMembersOnly)")]
    private partial void LogEvicted(string address, int perAddress, int total);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A Raft connection from {Peer} ended during the handshake: {Reason}")]
    private partial void LogHandshakeAborted(string peer, string reason);
}
