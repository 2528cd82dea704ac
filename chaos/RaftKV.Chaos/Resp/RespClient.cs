using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RaftKV.Chaos.Resp;

/// <summary>
/// A minimal RESP2 client over one socket, with connect and reply timeouts. It never retries: after a command is
/// sent, a timeout or a lost connection throws and the connection is unusable (the caller records "info").
/// Not thread-safe: one client per worker.
/// </summary>
internal sealed class RespClient : IAsyncDisposable
{
    private const int MaxLine = 64 * 1024;
    private const int MaxBulk = 64 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public IPEndPoint Endpoint { get; private init; } = null!;

    /// <summary>Connects or throws <see cref="RespConnectException"/>.</summary>
    public static async Task<RespClient> ConnectAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken token)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            return new RespClient(socket) { Endpoint = endpoint };
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            socket.Dispose();
            token.ThrowIfCancellationRequested();
            throw new RespConnectException($"connect {endpoint}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Sends one command and reads its reply. Throws <see cref="TimeoutException"/> when no reply comes in time and
    /// <see cref="IOException"/> when the connection breaks; in both cases the outcome is unknown.
    /// </summary>
    public async Task<RespValue> ExecuteAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken token)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(timeout);
        try
        {
            await _stream.WriteAsync(Encode(args), cts.Token).ConfigureAwait(false);
            return await ReadReplyAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new TimeoutException($"no reply from {Endpoint} within {timeout.TotalMilliseconds} ms");
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public static byte[] Encode(IReadOnlyList<string> args)
    {
        var text = new StringBuilder();
        text.Append('*').Append(args.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var arg in args)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(arg).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            text.Append(arg).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private async Task<RespValue> ReadReplyAsync(CancellationToken token)
    {
        var line = await ReadLineAsync(token).ConfigureAwait(false);
        if (line.Length == 0)
            throw new IOException("empty reply line");
        var body = line[1..];
        switch (line[0])
        {
            case '+': return new RespValue(RespKind.Simple, body);
            case '-': return new RespValue(RespKind.Error, body);
            case ':': return new RespValue(RespKind.Integer, Integer: ParseLong(body));
            case '$':
            {
                var length = ParseLong(body);
                if (length < 0)
                    return RespValue.Nil;
                if (length > MaxBulk)
                    throw new IOException($"bulk length {length} too large");
                var bytes = await ReadExactAsync((int)length + 2, token).ConfigureAwait(false);
                return new RespValue(RespKind.Bulk, Encoding.UTF8.GetString(bytes, 0, (int)length));
            }
            case '*':
            {
                var count = ParseLong(body);
                if (count < 0)
                    return RespValue.Nil;
                if (count > MaxBulk)
                    throw new IOException($"array length {count} too large");
                var items = new List<RespValue>((int)count);
                for (var i = 0; i < count; i++)
                    items.Add(await ReadReplyAsync(token).ConfigureAwait(false));
                return new RespValue(RespKind.Array, Items: items);
            }
            default:
                throw new IOException($"unexpected reply type '{line[0]}'");
        }
    }

    private static long ParseLong(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new IOException($"bad number '{text}' in reply");

    private async Task<string> ReadLineAsync(CancellationToken token)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var cr = span.IndexOf("\r\n"u8);
            if (cr >= 0)
            {
                var line = Encoding.UTF8.GetString(span[..cr]);
                _start += cr + 2;
                return line;
            }
            if (_end - _start >= MaxLine)
                throw new IOException("reply line too long");
            await FillAsync(token).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken token)
    {
        var result = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_start == _end)
                await FillAsync(token).ConfigureAwait(false);
            var n = Math.Min(count - filled, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(filled));
            _start += n;
            filled += n;
        }
        return result;
    }

    private async Task FillAsync(CancellationToken token)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), token).ConfigureAwait(false);
        if (read == 0)
            throw new IOException("connection closed by the server");
        _end += read;
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync().ConfigureAwait(false);
}
