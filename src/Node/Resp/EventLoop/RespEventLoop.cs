using System.Collections.Concurrent;

namespace RaftKV.Node.Resp.EventLoop;

/// <summary>
/// One thread and one epoll set serving RESP connections, Redis's shape: when a connection's bytes arrive, this thread
/// reads them into the connection's input pipe, and the session's read loop (resumed inline by the pipe) parses and
/// runs what it can at once (a GET under the lease) and writes the reply to the socket before the thread waits again.
/// No thread hop between the socket and the session for such a command; with .NET's socket engine a GET took two (an
/// event thread, then the pool), and resuming threads was a quarter of a leader's CPU (issue 17). What may run long
/// leaves this thread as it left .NET's event threads (<see cref="Execution.SocketThreads.Leave"/>: this is not a pool
/// thread), and replies completed elsewhere (a write's, after its commit) are sent by the thread that completes them.
/// <para>
/// The connection table and the epoll set's additions and removals are touched on this thread only: other threads post
/// them (<see cref="Post"/>) and wake it through an eventfd. Interest changes (pausing reads, waiting to write) may be
/// made from any thread: epoll_ctl is safe to call concurrently.
/// </para>
/// </summary>
internal sealed class RespEventLoop : IDisposable
{
    private const ulong WakeData = 0;
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Action<RespEventLoop>> _posted = new();
    private readonly Dictionary<ulong, LoopConnection> _connections = [];
    private readonly ILogger _logger;
    private long _nextId;
    private volatile bool _stopping;

    public RespEventLoop(string name, ILogger logger)
    {
        _logger = logger;
        _epoll = Epoll.Create();
        _wake = Epoll.CreateEventFd();
        Epoll.Add(_epoll, _wake, Epoll.In, WakeData);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Connections served now (for tests and diagnostics).</summary>
    public int Count => Volatile.Read(ref _count);

    private int _count;

    internal int EpollDescriptor => _epoll;

    /// <summary>Whether the caller runs on this loop's thread.</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>A new id for a connection (never 0, the eventfd's).</summary>
    public ulong NextId() => (ulong)Interlocked.Increment(ref _nextId);

    /// <summary>Starts serving a connection: its socket joins the epoll set on this thread.</summary>
    public void Add(LoopConnection connection) => Post(static (loop, c) => loop.Register(c), connection);

    /// <summary>Stops serving a connection: it leaves the epoll set and is released on this thread (<see cref="LoopConnection.Unregister"/>).</summary>
    public Task RemoveAsync(LoopConnection connection)
    {
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(static (loop, state) =>
        {
            var (c, done) = state;
            if (loop._connections.Remove(c.Id))
                Interlocked.Decrement(ref loop._count);
            c.Unregister();
            done.TrySetResult();
        }, (connection, removed));
        return removed.Task;
    }

    private void Post<T>(Action<RespEventLoop, T> action, T state)
    {
        _posted.Enqueue(loop => action(loop, state));
        if (_stopping)
        {
            // The thread is gone or going: run it here (only removals and additions come here, and nothing else
            // touches the table once the loop has stopped).
            lock (_posted)
                RunPosted();
            return;
        }

        Epoll.Signal(_wake);
    }

    private void Register(LoopConnection connection)
    {
        if (_stopping)
            connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("The node is shutting down"));
        if (!connection.Register())
            return;
        _connections[connection.Id] = connection;
        Interlocked.Increment(ref _count);
    }

    private void Run()
    {
        var events = new byte[MaxEvents * Epoll.EventSize];
        var scratch = new byte[8];
        while (!_stopping)
        {
            int ready;
            try
            {
                ready = Epoll.Wait(_epoll, events, -1);
            }
            catch (IOException e)
            {
                _logger.LogCritical(e, "The RESP event loop stopped");
                return;
            }

            for (var i = 0; i < ready; i++)
            {
                var data = Epoll.DataAt(events, i);
                if (data == WakeData)
                {
                    Epoll.Drain(_wake, scratch);
                    continue;
                }

                if (_connections.TryGetValue(data, out var connection))
                    Handle(connection, Epoll.EventsAt(events, i));
            }

            lock (_posted)
                RunPosted();
        }
    }

    private void Handle(LoopConnection connection, uint events)
    {
        try
        {
            connection.OnEvents(events);
        }
        catch (Exception e)
        {
            // The session's own code runs inside (resumed by the input pipe) and catches its errors; anything that
            // still comes here ends this connection only.
            _logger.LogError(e, "RESP connection {Connection} failed in the event loop", connection.ConnectionId);
            connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("Event loop error", e));
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var action))
            action(this);
    }

    public void Dispose()
    {
        if (_stopping)
            return;
        _stopping = true;
        Epoll.Signal(_wake);
        if (!IsCurrent)
            _thread.Join(TimeSpan.FromSeconds(5));
        lock (_posted)
            RunPosted();
        Epoll.Close(_wake);
        Epoll.Close(_epoll);
    }
}
