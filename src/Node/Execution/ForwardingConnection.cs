using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Execution;

/// <summary>
/// One RESP connection from a follower to the leader, owned by one client session so that a client's commands
/// reach the leader in the order the client sent them. The connection announces itself with
/// <see cref="Handshake"/> and the member proof for the nonce the leader gives (<see cref="Security.MemberProof"/>), which
/// switches it to RESP3 and tells the leader never to forward it again.
/// A command that was sent and got no reply has an unknown outcome: it is never re-sent.
/// </summary>
internal sealed class ForwardingConnection : IAsyncDisposable
{
    /// <summary>The hidden command a forwarding connection opens with (<c>NONCE</c>, then <c>PROOF hex</c>); the leader refuses a client that sends it without the proof.</summary>
    public const string Handshake = "RAFTKV-INTERNAL-FORWARD";

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly RespReplyScan _scan = new();
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _exchange = new(1, 1);
    private int _disposed;
    private int _protocolVersion = 3;
    private string? _user;

    /// <summary>
    /// The hidden command that sets the ACL user the leader runs this connection's next commands as (the user its
    /// client authenticated as on the follower); accepted only on a forwarding connection.
    /// </summary>
    public const string RunAs = "RAFTKV-INTERNAL-AS";

    /// <summary>
    /// The hidden command a leadership transfer sends every member but the target: <c>RAFTKV-INTERNAL-HOLD ms</c>
    /// (<see cref="Raft.RaftHost.HoldElectionsAsync"/>); accepted only on a forwarding connection.
    /// </summary>
    public const string HoldElections = "RAFTKV-INTERNAL-HOLD";

    private ForwardingConnection(string endpoint, Socket socket, Stream stream)
    {
        Endpoint = endpoint;
        _socket = socket;
        _stream = stream;
        _reader = PipeReader.Create(_stream);
        _writer = PipeWriter.Create(_stream);
    }

    public string Endpoint { get; }

    /// <param name="secret">The cluster secret the handshake's proof is made with.</param>
    /// <param name="tls">
    /// TLS for a leader whose RESP port speaks it (<see cref="Security.NodeTls.ClientOptions"/>); null for plaintext.
    /// A failed handshake throws <see cref="IOException"/>, as a refused connection does.
    /// </param>
    public static async Task<ForwardingConnection> ConnectAsync(
        string endpoint, byte[] secret, System.Net.Security.SslClientAuthenticationOptions? tls, CancellationToken token)
    {
        var (host, port) = Configuration.EndpointParser.Split(endpoint);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new ForwardingConnection(endpoint, socket, await Security.TlsStreams.OpenAsync(socket, tls, token).ConfigureAwait(false));
        var name = System.Text.Encoding.ASCII.GetBytes(Handshake);
        var reply = await connection.SendAsync([name, "NONCE"u8.ToArray()], 3, token).ConfigureAwait(false);
        if (reply is BulkReply nonce)
        {
            var proof = Security.MemberProof.ForForwarding(secret, System.Text.Encoding.ASCII.GetString(nonce.Value));
            reply = await connection.SendAsync([name, "PROOF"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes(proof)], 3, token).ConfigureAwait(false);
        }

        if (reply is not SimpleStringReply)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"The leader refused the forwarding handshake: {(reply as ErrorReply)?.Message ?? reply.GetType().Name}");
        }

        return connection;
    }

    /// <summary>
    /// Sends one command under the client's RESP version (switching the connection with HELLO when it differs, so
    /// replies such as RESP3's nested pairs keep their shape) and reads its reply. Throws <see cref="IOException"/>
    /// when the connection is lost.
    /// </summary>
    public async Task<Reply> SendAsync(byte[][] arguments, int protocolVersion, CancellationToken token)
    {
        // One exchange at a time: replies are matched to commands by order on the connection.
        await _exchange.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await UseProtocolAsync(protocolVersion, token).ConfigureAwait(false);
            return await ExchangeAsync(arguments, token).ConfigureAwait(false);
        }
        finally
        {
            _exchange.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="commands"/> in one write (a transaction, MULTI ... EXEC, reaches the leader as one
    /// request) under the client's RESP version and returns the last command's reply, after reading every reply.
    /// </summary>
    public async Task<Reply> SendPipelineAsync(IReadOnlyList<byte[][]> commands, int protocolVersion, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var replies = new Reply?[commands.Count];
        await SendEachAsync(commands, protocolVersion, replies, token).ConfigureAwait(false);
        return replies.Length == 0 ? Reply.Ok : replies[^1]!;
    }

    /// <summary>
    /// Sends <paramref name="commands"/> in one write under the client's RESP version and stores each reply in
    /// <paramref name="replies"/> as it is read; when the connection fails midway, the replies read so far stay.
    /// </summary>
    public async Task SendEachAsync(IReadOnlyList<byte[][]> commands, int protocolVersion, Reply?[] replies, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(replies);
        await _exchange.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await UseProtocolAsync(protocolVersion, token).ConfigureAwait(false);
            foreach (var command in commands)
                WriteCommand(_writer, command);
            await FlushAsync(token).ConfigureAwait(false);
            for (var i = 0; i < commands.Count; i++)
                replies[i] = await ReadReplyAsync(token).ConfigureAwait(false);
        }
        finally
        {
            _exchange.Release();
        }
    }

    /// <summary>
    /// Makes the leader run the next commands as <paramref name="user"/>, when the connection ran as another; the leader's
    /// refusal (the user is unknown there) is returned, null when the switch is done or was not needed.
    /// </summary>
    public async Task<Reply?> UseUserAsync(string user, CancellationToken token)
    {
        if (user == _user)
            return null;
        await _exchange.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var reply = await ExchangeAsync([System.Text.Encoding.ASCII.GetBytes(RunAs), System.Text.Encoding.Latin1.GetBytes(user)], token).ConfigureAwait(false);
            if (reply is ErrorReply)
                return reply;
            _user = user;
            return null;
        }
        finally
        {
            _exchange.Release();
        }
    }

    /// <summary>Switches the connection to the client's RESP version with HELLO when it differs; the caller holds the exchange.</summary>
    private async Task UseProtocolAsync(int protocolVersion, CancellationToken token)
    {
        if (protocolVersion == _protocolVersion)
            return;
        var hello = await ExchangeAsync(["HELLO"u8.ToArray(), System.Text.Encoding.ASCII.GetBytes(protocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))], token).ConfigureAwait(false);
        if (hello is ErrorReply error)
            throw new IOException("The leader refused HELLO: " + error.Message);
        _protocolVersion = protocolVersion;
    }

    private async Task FlushAsync(CancellationToken token)
    {
        var flush = await _writer.FlushAsync(token).ConfigureAwait(false);
        if (flush.IsCompleted)
            throw new IOException("The connection to the leader is closed");
    }

    private async Task<Reply> ExchangeAsync(byte[][] arguments, CancellationToken token)
    {
        WriteCommand(_writer, arguments);
        await FlushAsync(token).ConfigureAwait(false);
        return await ReadReplyAsync(token).ConfigureAwait(false);
    }

    private async Task<Reply> ReadReplyAsync(CancellationToken token)
    {
        // Each read follows the reply's framing on from the last (a reply of millions of elements arrives in hundreds of
        // reads); it is parsed once, when whole.
        _scan.Reset();
        while (true)
        {
            var result = await _reader.ReadAsync(token).ConfigureAwait(false);

            // A large reply is parsed once whole, which takes a while: not on a socket event thread (SocketThreads).
            if (result.Buffer.Length > 64 * 1024)
                await SocketThreads.Leave();
            var buffer = result.Buffer;
            if (_scan.IsWhole(buffer) && RespReplyReader.TryRead(ref buffer, RespLimits.FromMember, out var reply))
            {
                _reader.AdvanceTo(buffer.Start);
                return reply!;
            }

            if (result.IsCompleted)
                throw new IOException("The leader closed the connection before replying");
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static void WriteCommand(IBufferWriter<byte> output, byte[][] arguments)
    {
        var items = new Reply[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
            items[i] = new BulkReply(arguments[i]);
        RespReplyWriter.Write(output, new ArrayReply(items), 2);
    }

    /// <summary>
    /// Closes the socket first, so that bytes of a command given up mid-write are never flushed to the leader (which
    /// could then run it for a client that is gone); completing the pipes afterwards finds the stream closed, which is
    /// expected here (it threw ObjectDisposedException into the relayed command).
    /// </summary>
    /// <para>
    /// Commands of one caller relayed at once share the connection, so another exchange may be under way: it fails
    /// with the closed socket, and the pipes are completed only after it has let go of them (never under a parse of
    /// the reader's memory). The exchange lock is never disposed: a relay waiting for it gets it, and fails on the
    /// closed connection. Only the first call closes it.
    /// </para>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _socket.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _exchange.WaitAsync().ConfigureAwait(false);
        try
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or SocketException)
        {
            // The unflushed rest of a cancelled command: dropped with the connection.
        }
        finally
        {
            _exchange.Release();
        }
    }
}
