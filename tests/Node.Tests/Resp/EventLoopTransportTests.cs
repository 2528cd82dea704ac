using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Resp;
using RaftKV.Node.Resp.EventLoop;

namespace RaftKV.Node.Tests.Resp;

/// <summary>
/// The RESP event loop transport with real sockets and no node above it: a connection's bytes in both directions,
/// pauses when a side holds more than the pipes allow, and the ways a connection ends, as Kestrel's socket transport
/// behaves (the session above relies on it).
/// </summary>
public sealed class EventLoopTransportTests : IAsyncLifetime
{
    private readonly EventLoopTransportFactory _factory = new(2, NullLoggerFactory.Instance);
    private IConnectionListener _listener = null!;

    private int Port => ((EventLoopEndPoint)_listener.EndPoint).Address.Port;

    public async Task InitializeAsync() =>
        _listener = await _factory.BindAsync(new EventLoopEndPoint(new IPEndPoint(IPAddress.Loopback, 0)));

    public async Task DisposeAsync()
    {
        await _listener.DisposeAsync();
        _factory.Dispose();
    }

    private async Task<(Socket Client, ConnectionContext Server)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var server = await _listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return (client, server!);
    }

    // Copies what the connection reads back to it until its input ends.
    private static async Task EchoAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync();
            foreach (var segment in result.Buffer)
                await output.WriteAsync(segment);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                break;
        }
    }

    // Bytes no transport would pass through by chance: a seeded random fill.
    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket client, int expected)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (received.Length < expected)
        {
            var n = await client.ReceiveAsync(buffer);
            if (n == 0)
                break;
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }

    [Fact]
    public async Task EightMegabytes_EchoedWhileTheClientReadsSlowly_ArriveWholeAndInOrder()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
        var echo = EchoAsync(server);
        var data = RandomBytes(8 * 1024 * 1024, 17);

        // The client writes everything before it reads: the server's send buffer fills (its sends wait for the loop to
        // see the socket writable), its output pipe holds the rest; reading slowly lets it all move again.
        var send = client.SendAsync(data);
        await Task.Delay(500);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (received.Length < data.Length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, n);
            received.Write(buffer, 0, n);
            if (received.Length % (1024 * 1024) < n)
                await Task.Delay(20);
        }

        await send;
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()));
        client.Shutdown(SocketShutdown.Send);
        await echo.WaitAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task InputTheSessionDoesNotRead_PausesReadingTheSocket_UntilItReads()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
        var data = RandomBytes(32 * 1024 * 1024, 3);

        // More than the input pipe holds (1 MiB) and the socket buffers take: the client's send cannot finish while the
        // session reads nothing.
        var send = client.SendAsync(data);
        await Task.Delay(1000);
        Assert.False(send.IsCompleted);

        var read = new MemoryStream();
        while (read.Length < data.Length)
        {
            var result = await server.Transport.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var segment in result.Buffer)
                read.Write(segment.Span);
            server.Transport.Input.AdvanceTo(result.Buffer.End);
        }

        await send.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(data.AsSpan().SequenceEqual(read.ToArray()));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task OutputTheClientDoesNotRead_WaitsForTheSocket_AndArrivesWhole()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
        var data = RandomBytes(32 * 1024 * 1024, 4);
        var direct = Assert.IsAssignableFrom<RaftKV.Node.Resp.IDirectOutput>(server);

        // The writer never waits; the bytes the socket does not take yet wait in the pipe for the loop to see it writable.
        await server.Transport.Output.WriteAsync(data).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        Assert.InRange(direct.SentBytes, 1, data.Length - 1);

        var received = await ReadToEndAsync(client, data.Length).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(data.AsSpan().SequenceEqual(received));
        Assert.Equal(data.Length, direct.SentBytes);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ClientClosing_CompletesTheInputAndFiresConnectionClosed()
    {
        var (client, server) = await ConnectAsync();
        var closed = new TaskCompletionSource();
        server.ConnectionClosed.Register(() => closed.TrySetResult());
        await client.SendAsync("hello"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);

        var read = new MemoryStream();
        while (true)
        {
            var result = await server.Transport.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            foreach (var segment in result.Buffer)
                read.Write(segment.Span);
            server.Transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                break;
        }

        Assert.Equal("hello"u8.ToArray(), read.ToArray());
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Half-closed: the server still answers.
        await server.Transport.Output.WriteAsync("bye"u8.ToArray());
        await server.DisposeAsync();
        Assert.Equal("bye"u8.ToArray(), await ReadToEndAsync(client, 100));
        client.Dispose();
    }

    [Fact]
    public async Task Dispose_SendsWhatTheSessionLeft_ThenCloses()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
        var data = RandomBytes(300 * 1024, 5);
        // More than the socket takes at once: dispose follows the write at once and must send the rest first.
        var write = server.Transport.Output.WriteAsync(data);
        var dispose = Task.Run(async () =>
        {
            await write;
            await server.DisposeAsync();
        });

        var received = await ReadToEndAsync(client, data.Length + 1);
        await dispose.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(data.AsSpan().SequenceEqual(received));
    }

    [Fact]
    public async Task Abort_EndsAPendingReadAndDropsTheClient()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
        var pending = server.Transport.Input.ReadAsync().AsTask();
        server.Abort(new ConnectionAbortedException("test"));

        await Assert.ThrowsAsync<ConnectionAbortedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(server.ConnectionClosed.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        var buffer = new byte[16];
        int n;
        try
        {
            n = await client.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (SocketException)
        {
            n = 0; // reset
        }

        Assert.Equal(0, n);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ClientReset_FailsTheInput()
    {
        var (client, server) = await ConnectAsync();
        client.LingerState = new LingerOption(true, 0); // close sends RST
        var pending = server.Transport.Input.ReadAsync().AsTask();
        client.Dispose();

        var outcome = await Record.ExceptionAsync(async () =>
        {
            var result = await pending.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(result.IsCompleted);
        });
        Assert.True(outcome is null or IOException, outcome?.ToString());
        Assert.True(server.ConnectionClosed.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ASocketResetAfterItsInputEnded_DoesNotKeepTheLoopAwake()
    {
        var (client, server) = await ConnectAsync();
        client.Dispose();
        while (true)
        {
            var result = await server.Transport.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            server.Transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                break;
        }

        // The peer is gone: these bytes draw a reset, which epoll reports (hang-up, error) whatever the interest.
        await server.Transport.Output.WriteAsync("late"u8.ToArray());
        await Task.Delay(300);
        await server.Transport.Output.WriteAsync("later"u8.ToArray());
        await Task.Delay(300);

        var before = _factory.StartedLoops.Sum(static loop => loop.Wakeups);
        await Task.Delay(500);
        var woken = _factory.StartedLoops.Sum(static loop => loop.Wakeups) - before;
        Assert.True(woken < 100, $"the loops woke {woken} times in 500 ms with nothing to do");
        await server.DisposeAsync();
    }

    [Fact]
    public async Task FactoryDisposed_EndsItsConnectionsInputs_AndTheyStillDispose()
    {
        var factory = new EventLoopTransportFactory(1, NullLoggerFactory.Instance);
        await using var listener = await factory.BindAsync(new EventLoopEndPoint(new IPEndPoint(IPAddress.Loopback, 0)));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, ((EventLoopEndPoint)listener.EndPoint).Address.Port);
        var server = (await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!;
        var pending = server.Transport.Input.ReadAsync().AsTask();

        factory.Dispose();

        await Assert.ThrowsAsync<ConnectionAbortedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, factory.StartedLoops.Single().Count);
    }

    [Fact]
    public async Task BytesArriving_ResumeTheReaderOnItsLoopsThread_WithoutAThreadHop()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
        var reading = ReadOnThreadAsync(server);
        await client.SendAsync("x"u8.ToArray());

        Assert.StartsWith("RESP loop", await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        await server.DisposeAsync();
    }

    // The thread the reader resumes on when bytes arrive (ConfigureAwait(false): wherever the pipe resumes it).
    private static async Task<string?> ReadOnThreadAsync(ConnectionContext server)
    {
        var result = await server.Transport.Input.ReadAsync().ConfigureAwait(false);
        var name = Thread.CurrentThread.Name;
        server.Transport.Input.AdvanceTo(result.Buffer.End);
        return name;
    }

    // A reply a session appends on the loop's thread reaches its socket once the loop has handled every socket its wait
    // reported ready, as Redis writes its clients' replies before it sleeps. Sent at once, the reply woke its client,
    // which preempted the loop on a busy machine (a tenth of the loop's samples under GET -c 50 were that switch).
    [Fact]
    public async Task AReplyAppendedOnTheLoop_ReachesTheSocketWhenTheLoopsPassEnds_AndTheSessionReadsOnMeanwhile()
    {
        var (client, server) = await ConnectAsync();
        using var _ = client;
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
        Assert.Equal("+OK\r\n"u8.ToArray(), await ReadToEndAsync(client, 5).WaitAsync(TimeSpan.FromSeconds(10)));

        await output.CompleteAsync();
        await server.DisposeAsync();
    }

    // Resumed by the request's bytes on the loop's thread (ConfigureAwait(false)): appends a reply there and reports
    // what the client's socket held right after the append.
    private static async Task<(string? Thread, bool Answering, bool Deferring, int AvailableAfterAppend)> HandleOneRequestAsync(
        ConnectionContext server, OutputBuffer output, Socket client)
    {
        var result = await server.Transport.Input.ReadAsync().ConfigureAwait(false);
        server.Transport.Input.AdvanceTo(result.Buffer.End);
        var appended = output.AppendAsync([RaftKV.Protocol.Replies.Reply.Ok], 2, 0);
        var available = client.Available;
        var state = (Thread.CurrentThread.Name, ReplyFlushes.Active, ReplyFlushes.Deferring, available);
        await appended.ConfigureAwait(false);
        return state;
    }

    [Fact]
    public async Task TwoHundredConnections_OverTwoLoops_EachEchoesItsOwnBytes()
    {
        var pairs = new List<(Socket Client, ConnectionContext Server, Task Echo)>();
        for (var i = 0; i < 200; i++)
        {
            var (client, server) = await ConnectAsync();
            pairs.Add((client, server, EchoAsync(server)));
        }

        await Task.WhenAll(pairs.Select(async (pair, i) =>
        {
            var message = System.Text.Encoding.ASCII.GetBytes($"connection {i};");
            for (var round = 0; round < 20; round++)
            {
                await pair.Client.SendAsync(message);
                var echoed = await ReadToEndAsync(pair.Client, message.Length);
                Assert.Equal(message, echoed);
            }
        })).WaitAsync(TimeSpan.FromSeconds(60));

        foreach (var (client, server, echo) in pairs)
        {
            client.Shutdown(SocketShutdown.Send);
            await echo.WaitAsync(TimeSpan.FromSeconds(10));
            await server.DisposeAsync();
            client.Dispose();
        }
    }
}
