using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Execution;
using RaftKV.Node.Resp.EventLoop;

namespace RaftKV.Node.Tests.Resp;

/// <summary>
/// The group commit's wait for the clients it answered (GroupCommitWait), with real event loops and sockets and no node
/// above them: every wait ends, whether or not anything arrives, while a loop sleeps or is kept busy, and when the loop
/// goes. (What it is for, larger entries, is measured by benchmarks, docs/performance.md; the node-level tests are in
/// GroupCommitWaitNodeTests.)
/// </summary>
public sealed class GroupCommitWaitTests
{
    // Generous: the wait itself is about a millisecond; a loaded machine delays the loop's thread, never by seconds.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    [Fact]
    public void WithoutALoop_NoWaitCanBegin_AndOneBegunAnywayEndsAtOnce()
    {
        var wait = new GroupCommitWait(enabled: true);
        Assert.False(wait.CanWait);
        Assert.True(wait.Begin().Task.IsCompleted);
        Assert.Null(wait.Pending);
    }

    [Fact]
    public void SwitchedOff_NoWaitCanBegin_EvenWithALoop()
    {
        var wait = new GroupCommitWait(enabled: false);
        wait.Attach(() => { });
        Assert.False(wait.CanWait);
    }

    [Fact]
    public void ALoopThatLeaves_EndsTheWaitOnNow()
    {
        var wait = new GroupCommitWait(enabled: true);
        var waker = wait.Attach(() => { });
        var pending = wait.Begin();
        Assert.False(pending.Task.IsCompleted);
        wait.Detach(waker);
        Assert.True(pending.Task.IsCompleted);
        Assert.False(wait.CanWait);
    }

    [Fact]
    public async Task AWaitBegunWhileTheLoopSleepsWithoutABound_IsEndedByTheLoop()
    {
        var wait = new GroupCommitWait(enabled: true);
        using var loop = new RespEventLoop("test loop", NullLogger.Instance, wait);
        Assert.True(wait.CanWait);

        // Not draining and nothing to read: the loop sleeps in epoll_wait with no timeout; each wait must wake it.
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(20);
            var started = Stopwatch.StartNew();
            var pending = wait.Begin();
            await pending.Task.WaitAsync(Bound);
            Assert.True(started.Elapsed < Bound);
        }

        Assert.Equal(20, wait.EndedByLoops);
    }

    [Fact]
    public async Task AWaitEnds_WhileOtherClientsKeepTheLoopReading()
    {
        var wait = new GroupCommitWait(enabled: true) { Draining = true };
        using var factory = new EventLoopTransportFactory(1, NullLoggerFactory.Instance, wait);
        var listener = await factory.BindAsync(new EventLoopEndPoint(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var _ = listener;
        var port = ((EventLoopEndPoint)listener.EndPoint).Address.Port;

        // Three clients stream bytes at the loop and read its echo, so it finds something to read at every pass (bounded
        // in bytes and time); each wait still ends: the loop measures the longest wait between its passes, not only
        // when it finds nothing to read.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var clients = new List<Socket>();
        var work = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port);
            var server = (await listener.AcceptAsync().AsTask().WaitAsync(Bound))!;
            clients.Add(client);
            work.Add(EchoAsync(server));
            work.Add(StreamAsync(client, stop.Token));
            work.Add(DrainAsync(client, stop.Token));
        }

        await Task.Delay(200);
        for (var i = 0; i < 20; i++)
        {
            var pending = wait.Begin();
            await pending.Task.WaitAsync(Bound);
        }

        await stop.CancelAsync();
        foreach (var client in clients)
            client.Shutdown(SocketShutdown.Both);
        await Task.WhenAll(work).WaitAsync(Bound);
        foreach (var client in clients)
            client.Dispose();
        Assert.Equal(20, wait.EndedByLoops);
    }

    [Fact]
    public async Task AStoppingLoop_EndsTheWaitOnNow_AndWaitsNoMore()
    {
        var wait = new GroupCommitWait(enabled: true);
        var loop = new RespEventLoop("test loop", NullLogger.Instance, wait);
        loop.Dispose();
        for (var i = 0; i < 100 && wait.CanWait; i++)
            await Task.Delay(20);
        Assert.False(wait.CanWait);
        Assert.True(wait.Begin().Task.IsCompleted);
    }

    // EventLoopTransportTests' echo, ended by either side (the clients close while it still sends).
    private static async Task EchoAsync(ConnectionContext connection)
    {
        try
        {
            await EventLoopTransportTests.EchoAsync(connection);
        }
        catch (Exception e) when (e is ConnectionResetException or ConnectionAbortedException)
        {
        }

        await connection.DisposeAsync();
    }

    // Sends 16 KB at a time, up to 1 GB or until stopped.
    private static async Task StreamAsync(Socket client, CancellationToken stop)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            for (var i = 0; i < 65_536 && !stop.IsCancellationRequested; i++)
                await client.SendAsync(buffer, stop);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }
    }

    // Reads the echo until the connection ends or it is stopped.
    private static async Task DrainAsync(Socket client, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await client.ReceiveAsync(buffer, stop) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }
    }
}
