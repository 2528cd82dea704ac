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
/// made from any thread: epoll_ctl is safe to call concurrently. Once stopped (disposed, or epoll failed), posted work
/// runs on the poster's thread, every connection's input ends, and the epoll set and the eventfd are closed only when
/// the last connection has left them, so no descriptor number is reused while a connection could still name it.
/// </para>
/// </summary>
internal sealed class RespEventLoop : IDisposable
{
    private const ulong WakeData = 0;
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly Queue<Action<RespEventLoop>> _posted = new(); // under _postLock
    private readonly Lock _postLock = new();
    private readonly Dictionary<ulong, LoopConnection> _connections = [];
    private readonly ILogger _logger;
    private long _nextId;
    private long _wakeups;
    private int _count;
    private bool _stopping; // under _postLock
    private bool _closed; // under _postLock
    private bool _exited; // under _postLock: the loop's thread runs no more posted work

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

    /// <summary>Times epoll_wait returned (a test's measure of a loop that never sleeps).</summary>
    public long Wakeups => Interlocked.Read(ref _wakeups);

    internal int EpollDescriptor => _epoll;

    internal ILogger Logger => _logger;

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
            try
            {
                if (loop._connections.Remove(c.Id))
                    Interlocked.Decrement(ref loop._count);
                c.Unregister();
            }
            finally
            {
                done.TrySetResult();
                loop.CloseIfDone();
            }
        }, (connection, removed));
        return removed.Task;
    }

    private void Post<T>(Action<RespEventLoop, T> action, T state)
    {
        lock (_postLock)
        {
            _posted.Enqueue(loop => action(loop, state));
            if (!_stopping)
                Epoll.Signal(_wake);
            // Once the loop's thread has exited, nothing else touches the table: the work runs here.
            else if (_exited)
                RunPosted();
        }
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
        while (!Volatile.Read(ref _stopping))
        {
            int ready;
            try
            {
                ready = Epoll.Wait(_epoll, events, -1);
            }
            catch (IOException e)
            {
                _logger.LogCritical(e, "The RESP event loop failed: its connections are closed");
                Stop();
                return;
            }

            Interlocked.Increment(ref _wakeups);
            using var gather = ReplyFlushes.BeginGather();
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

            lock (_postLock)
                RunPosted();
        }

        Stop();
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

    // Under _postLock. A failure ends the connection it was for, never the loop.
    private void RunPosted()
    {
        while (_posted.TryDequeue(out var action))
        {
            try
            {
                action(this);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "A RESP event loop operation failed");
            }
        }
    }

    // On the loop's thread as it exits: every connection's input ends, which ends its session; they leave the table as
    // they are disposed (their removals posted meanwhile run at the end here, later ones on their posters' threads).
    private void Stop()
    {
        lock (_postLock)
        {
            _stopping = true;
            RunPosted();
        }

        foreach (var connection in _connections.Values.ToList())
            connection.EndOnStop();
        lock (_postLock)
        {
            _exited = true;
            RunPosted();
            CloseIfDone();
        }
    }

    // Under _postLock, or from a posted action (which runs under it).
    private void CloseIfDone()
    {
        if (!_stopping || _closed || _connections.Count > 0)
            return;
        _closed = true;
        Epoll.Close(_wake);
        Epoll.Close(_epoll);
    }

    public void Dispose()
    {
        lock (_postLock)
        {
            if (_stopping)
                return;
            _stopping = true;
            Epoll.Signal(_wake);
        }

        if (!IsCurrent)
            _thread.Join(TimeSpan.FromSeconds(5));
    }
}
