using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>A raw RESP client over a real socket: sends commands as multibulk arrays and parses replies.</summary>
internal sealed class RespTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;

    private RespTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = PipeReader.Create(_stream);
    }

    /// <param name="receiveBufferSize">
    /// The socket's receive buffer, set before connecting: a fixed size turns off the kernel's autotuning (up to 32 MB
    /// on some machines), for tests that need the node to see a client that does not read.
    /// </param>
    public static async Task<RespTestClient> ConnectAsync(int port, int? receiveBufferSize = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBufferSize is { } size)
            tcp.ReceiveBufferSize = size;
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        return new RespTestClient(tcp);
    }

    /// <summary>Connects from a chosen local address (e.g. a non-loopback one of this machine) to <paramref name="remote"/>.</summary>
    public static async Task<RespTestClient> ConnectFromAsync(System.Net.IPAddress local, System.Net.IPEndPoint remote)
    {
        var tcp = new TcpClient(new System.Net.IPEndPoint(local, 0)) { NoDelay = true };
        await tcp.ConnectAsync(remote);
        return new RespTestClient(tcp);
    }

    public Task<Reply> SendAsync(params string[] args) => SendAsync(args.Select(Encoding.UTF8.GetBytes).ToArray());

    /// <summary>
    /// Sends an idempotent command again, on this connection, while it is answered CLUSTERDOWN (an election on a busy
    /// machine: no leader yet, or the outcome unknown), for up to 30 s; the last reply's text. A follower relays to
    /// whichever node leads, and a deposed leader is a follower.
    /// </summary>
    public async Task<string?> SendRetryingAsync(params string[] args)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var reply = (await SendAsync(args)).Text();
            if (reply is null || !reply.StartsWith("-CLUSTERDOWN", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
                return reply;
            await Task.Delay(200);
        }
    }

    public async Task<Reply> SendAsync(byte[][] args)
    {
        var frame = new MemoryStream();
        WriteFrame(frame, args);
        await _stream.WriteAsync(frame.ToArray());
        return await ReadReplyAsync();
    }

    /// <summary>One request as RESP multibulk, appended to <paramref name="frame"/> (a pipeline is several in a row).</summary>
    public static void WriteFrame(Stream frame, params string[] args) => WriteFrame(frame, args.Select(Encoding.UTF8.GetBytes).ToArray());

    /// <summary><paramref name="count"/> requests in a row, the i-th <paramref name="request"/>(i), as one pipeline's bytes.</summary>
    public static byte[] Pipeline(int count, Func<int, string[]> request)
    {
        var frame = new MemoryStream();
        for (var i = 0; i < count; i++)
            WriteFrame(frame, request(i));
        return frame.ToArray();
    }

    public static void WriteFrame(Stream frame, byte[][] args)
    {
        frame.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            frame.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            frame.Write(arg);
            frame.Write("\r\n"u8);
        }
    }

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public async Task<Reply> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var scan = new RespReplyScan();
        while (true)
        {
            var result = await _reader.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            if (scan.IsWhole(buffer) && RespReplyReader.TryRead(ref buffer, RespLimits.FromMember, out var reply))
            {
                _reader.AdvanceTo(buffer.Start);
                return reply!;
            }

            if (result.IsCompleted)
                throw new IOException("connection closed");
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>True when the server has closed the connection (reads return end of stream).</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(timeout.Token);
                _reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    return true;
            }
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        _tcp.Dispose();
    }
}
