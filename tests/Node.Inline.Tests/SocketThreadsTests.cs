using System.IO.Pipelines;
using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.Resp;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// With RaftKV:InlineSocketCompletions, socket completions run inline on the socket event threads
/// (Execution/SocketThreads.cs; node.runsettings starts this test project's process with them: the runtime reads the
/// switch once per process, hence a project of its own). Whatever may run long leaves those threads, or every
/// connection they serve waits for it; and a pass answering many commands at once writes each connection's replies in
/// one socket write (in either mode).
/// </summary>
public sealed class SocketThreadsTests
{
    // Lua on the caller's thread (a read-only script runs where its command runs), in few instructions: a script's
    // instruction budget would end a plain loop within half a second. Each round builds a 1 MB string.
    private static string LongReadOnlyScript(int rounds) =>
        $"local n = 0 for i = 1, {rounds} do n = n + #string.rep('x', 1000000) end return n";

    // The tests of this project rely on it (node.runsettings starts the test host with the switch).
    [Fact]
    public async Task InlineCompletions_AreOn_InThisTestProcess_ASocketsReceiveContinuesOnItsEventThread()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync((System.Net.IPEndPoint)listener.LocalEndpoint);
        using var server = await listener.AcceptSocketAsync();
        var buffer = new byte[1];
        var receive = server.ReceiveAsync(buffer.AsMemory(), System.Net.Sockets.SocketFlags.None).AsTask();
        var thread = receive.ContinueWith(
            static _ => (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await Task.Delay(100);
        await client.SendAsync(new byte[] { 1 }, System.Net.Sockets.SocketFlags.None);
        var (onPool, name) = await thread.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("1", Environment.GetEnvironmentVariable(SocketThreads.Variable));
        Assert.False(onPool, $"the receive completed on {name}, a thread-pool thread: completions are not inline");
    }

    // The script's connection is served by one of the process's socket event threads; so are about half of the
    // pinging connections. Before the command left it, those pings waited for the script's end (on this 2-core machine
    // 4 of 8 connections, until the script's reply).
    [Fact]
    public async Task ALongReadOnlyScript_HoldsNoSocketThread_EveryOtherConnectionIsAnsweredMeanwhile()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var leader = await cluster.WaitForLeaderAsync();
        await using var caller = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await caller.SendAsync("CONFIG", "SET", "busy-reply-threshold", "120000")).Text());
        var pingers = new List<RespTestClient>();
        try
        {
            for (var i = 0; i < 8; i++)
                pingers.Add(await RespTestClient.ConnectAsync(leader.RespPort));

            // Sized to run about 3 s on this machine, whatever its speed: timed after a warm-up, over at least 0.5 s.
            Assert.IsType<IntegerReply>(await caller.SendAsync("EVAL_RO", LongReadOnlyScript(20), "0"));
            var timed = 50;
            var timer = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                timer.Restart();
                Assert.IsType<IntegerReply>(await caller.SendAsync("EVAL_RO", LongReadOnlyScript(timed), "0"));
                if (timer.ElapsedMilliseconds >= 500 || timed >= 20_000)
                    break;
                timed *= 4;
            }

            var rounds = (int)Math.Clamp(3000.0 * timed / Math.Max(timer.Elapsed.TotalMilliseconds, 1), 100, 100_000);
            var script = caller.SendAsync("EVAL_RO", LongReadOnlyScript(rounds), "0");
            await Task.Delay(300);
            Assert.False(script.IsCompleted, "the script ended before the pings were sent: the test proves nothing");

            var pings = pingers.Select(pinger => pinger.SendAsync("PING")).ToList();
            var answered = Task.WhenAll(pings);
            var first = await Task.WhenAny(answered, script);
            Assert.True(first == answered, $"{pings.Count(ping => !ping.IsCompleted)} of {pings.Count} connections waited for the script");
            Assert.All(await answered, pong => Assert.Equal("PONG", pong.Text()));
            Assert.Equal(rounds * 1_000_000L, Assert.IsType<IntegerReply>(await script.WaitAsync(TimeSpan.FromSeconds(120))).Value);
        }
        finally
        {
            foreach (var pinger in pingers)
                await pinger.DisposeAsync();
        }
    }

    // A session's loop resumed inside a pass (its command answered with the batch) leaves it before it reads on: the
    // other connections' replies of the batch wait for the pass to end.
    [Fact]
    public async Task Leave_OnAPoolThread_ContinuesAtOnce_ButNotInsideAPass()
    {
        var (outside, inside) = await Task.Run(static () =>
        {
            var outside = SocketThreads.Leave().IsCompleted;
            using var pass = ReplyFlushes.Begin();
            return (outside, SocketThreads.Leave().IsCompleted);
        });
        Assert.True(outside);
        Assert.False(inside);
        Assert.False(ReplyFlushes.Active);
    }

    // While a pass runs (an applied batch answering its commands), appends reach the transport only as it ends: one
    // write per connection for all its replies, where each reply was one write (and one send call) before.
    [Fact]
    public async Task RepliesAppendedDuringAPass_ReachTheTransportOnce_WhenItEnds()
    {
        var transport = new Pipe();
        var flushes = 0;
        var counting = new CountingWriter(transport.Writer, () => flushes++);
        var second = new OutputBuffer();
        var secondDrain = second.DrainAsync(counting, CancellationToken.None);
        using (ReplyFlushes.Begin())
        {
            // Synchronous: a pass never spans an await (the pass is this thread's).
            for (var i = 0; i < 16; i++)
            {
                Assert.True(second.AppendAsync([Reply.Ok], 2, 0).IsCompletedSuccessfully);
            }

            Assert.Equal(0, flushes);
            Assert.Equal(16 * "+OK\r\n".Length, second.PendingBytes);
        }

        Assert.Equal(1, flushes);
        Assert.Equal(0, second.PendingBytes);
        var read = await transport.Reader.ReadAsync();
        Assert.Equal(string.Concat(Enumerable.Repeat("+OK\r\n", 16)), Encoding.ASCII.GetString(read.Buffer));
        transport.Reader.AdvanceTo(read.Buffer.End);

        // Outside a pass every append is written at once, as before.
        await second.AppendAsync([Reply.Ok], 2, 0);
        Assert.Equal(2, flushes);
        await second.CompleteAsync();
        await secondDrain;
        second.Dispose();
    }

    // A connection that ends while a pass holds its unflushed replies: the pass ends without an exception, and the
    // other connections of the pass still get theirs.
    [Fact]
    public async Task AConnectionDisposedDuringAPass_DoesNotStopThePassFromFlushingTheOthers()
    {
        var gone = new OutputBuffer();
        var kept = new OutputBuffer();
        var transport = new Pipe();
        var drain = kept.DrainAsync(transport.Writer, CancellationToken.None);
        using (ReplyFlushes.Begin())
        {
            Assert.True(gone.AppendAsync([Reply.Ok], 2, 0).IsCompletedSuccessfully);
            Assert.True(kept.AppendAsync([Reply.Ok], 2, 0).IsCompletedSuccessfully);
            gone.Dispose();
        }

        var read = await transport.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(read.Buffer));
        transport.Reader.AdvanceTo(read.Buffer.End);
        await kept.CompleteAsync();
        await drain;
        kept.Dispose();
    }

    private sealed class CountingWriter(PipeWriter inner, Action flushed) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            flushed();
            return inner.FlushAsync(cancellationToken);
        }
    }
}
