using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace RaftKV.Node.Resp.EventLoop;

/// <summary>
/// A RESP connection served by a <see cref="RespEventLoop"/>: a non-blocking socket, an input pipe the loop's thread
/// fills (its reader, the session, resumes inline on that thread) and an output pipe whose reader sends inline on the
/// thread that flushes it (the loop's for a reply answered at once, the applier's for a committed write's). Only when
/// the socket's send buffer is full does sending wait, for the loop to see the socket writable.
/// <para>
/// Threads: the loop's thread alone reads the socket and writes the input pipe; the output pipe's reader runs on one
/// thread at a time (the pipe's single reader). Interest changes and the registration state are under
/// <see cref="_interestLock"/>. The socket is disposed on the loop's thread after it left the epoll set, so its
/// descriptor number is never reused while the set could still name it.
/// </para>
/// Closing follows Kestrel's socket transport: the peer's FIN or a reset completes the input and fires
/// <see cref="ConnectionClosed"/> (a blocking command's wait ends on it); <see cref="Abort"/> shuts the socket down and
/// drops unsent replies; <see cref="DisposeAsync"/> sends what the session left, then releases the socket.
/// </summary>
internal sealed class LoopConnection : ConnectionContext, IDirectOutput
{
    /// <summary>The events a connection waits for while it reads.</summary>
    public const uint ReadInterest = Epoll.In | Epoll.ReadHangUp;

    private const int MinReadBytes = 4096;
    private const int MaxReadsPerEvent = 16;
    private const int MaxGatherBytes = 64 * 1024;

    // Input held up to 1 MiB before reading pauses (Kestrel's socket transport's default). Output never pauses the
    // writer: the session bounds what a client leaves unread by its output limit (SentBytes tells it what is pending),
    // as it bounded its own buffer in front of Kestrel's transport, and writes its replies straight in (IDirectOutput).
    private static readonly PipeOptions s_inputOptions = new(
        readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false);

    private static readonly PipeOptions s_outputOptions = new(
        readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);

    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly RespEventLoop _loop;
    private readonly Pipe _input = new(s_inputOptions);
    private readonly Pipe _output = new(s_outputOptions);
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationToken _closedToken;
    private readonly Lock _interestLock = new();
    private readonly Action _resumeReading;
    private readonly Task _sending;

    // Under _interestLock.
    private bool _registered;
    private bool _inSet;
    private bool _removed;
    private bool _readPaused;
    private uint _interest;
    private TaskCompletionSource? _writable;

    // The loop's thread only.
    private bool _inputEnded;
    private ValueTask<FlushResult> _pausedFlush;

    private ConnectionAbortedException? _abortReason;
    private long _sent;

    // SendSome is synchronous: one gather buffer per thread that sends, not one kept by every connection.
    [ThreadStatic]
    private static byte[]? t_gather;
    private int _closedFired;
    private int _disposed;

    public LoopConnection(Socket socket, RespEventLoop loop)
    {
        _socket = socket;
        _loop = loop;
        Id = loop.NextId();
        Descriptor = (int)socket.SafeHandle.DangerousGetHandle();
        ConnectionId = "resp-" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        _closedToken = _closed.Token;
        _resumeReading = ResumeReading;
        Features.Set<IDirectOutput>(this);
        _sending = SendAsync();
    }

    public ulong Id { get; }

    public int Descriptor { get; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public PipeWriter Output => _output.Writer;

    public long SentBytes => Interlocked.Read(ref _sent);

    public override CancellationToken ConnectionClosed
    {
        get => _closedToken;
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// On the loop's thread: the socket joins the epoll set with the interest it has by now; false (its input ended)
    /// when the connection was aborted before.
    /// </summary>
    internal bool Register()
    {
        if (Volatile.Read(ref _abortReason) is not null)
        {
            EndInput(null);
            return false;
        }

        try
        {
            lock (_interestLock)
            {
                _registered = true;
                UpdateInterest();
            }
        }
        catch (IOException e)
        {
            // The epoll set refused it (out of memory, or the max_user_watches limit): this connection ends.
            lock (_interestLock)
                _registered = false;
            EndInput(new ConnectionAbortedException("The RESP event loop could not watch the connection", e));
            return false;
        }

        return true;
    }

    /// <summary>On the loop's thread, as the connection is released: out of the epoll set, then the socket closed.</summary>
    internal void Unregister()
    {
        TaskCompletionSource? writable;
        lock (_interestLock)
        {
            _removed = true;
            if (_inSet)
                Epoll.Delete(_loop.EpollDescriptor, Descriptor);
            _inSet = false;
            writable = TakeWritable();
        }

        writable?.TrySetException(new ConnectionAbortedException("The connection is closed"));
        EndInput(null);
        _socket.Dispose();
    }

    /// <summary>On the loop's thread: what epoll reported for this socket.</summary>
    internal void OnEvents(uint events)
    {
        if ((events & (Epoll.Out | Epoll.Error | Epoll.HangUp)) != 0)
            SignalWritable();
        if ((events & (Epoll.In | Epoll.ReadHangUp | Epoll.Error | Epoll.HangUp)) != 0)
            Receive();
    }

    private void Receive()
    {
        if (_inputEnded || Volatile.Read(ref _readPaused))
            return;
        var writer = _input.Writer;
        for (var reads = 0; reads < MaxReadsPerEvent; reads++)
        {
            var memory = writer.GetMemory(MinReadBytes);
            var received = _socket.Receive(memory.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
                return;
            if (error != SocketError.Success)
            {
                EndInput(new ConnectionResetException($"The client's connection failed ({error})", new SocketException((int)error)));
                return;
            }

            if (received == 0)
            {
                EndInput(null);
                return;
            }

            writer.Advance(received);
            // The session's read loop runs inside this call, on this thread (the pipe's inline reader scheduler).
            var flush = writer.FlushAsync();
            if (!flush.IsCompleted)
            {
                PauseReading(flush);
                return;
            }

            if (flush.Result.IsCompleted)
            {
                // The session stopped reading: nothing more is read for it.
                EndInput(null);
                return;
            }

            if (received < memory.Length)
                return;
        }
    }

    // The session holds more unread input than the pipe's threshold: stop reading the socket until it reads some.
    private void PauseReading(ValueTask<FlushResult> flush)
    {
        lock (_interestLock)
        {
            _readPaused = true;
            UpdateInterest();
        }

        _pausedFlush = flush;
        flush.GetAwaiter().UnsafeOnCompleted(_resumeReading);
    }

    private void ResumeReading()
    {
        var result = _pausedFlush.GetAwaiter().GetResult();
        _pausedFlush = default;
        if (result.IsCompleted)
            return;
        lock (_interestLock)
        {
            _readPaused = false;
            UpdateInterest();
        }
    }

    private void EndInput(Exception? error)
    {
        if (_inputEnded)
            return;
        _inputEnded = true;
        lock (_interestLock)
            UpdateInterest();
        // Fired first: completing the input resumes the session inline, on this thread, which may wait for it.
        FireClosed();
        _input.Writer.Complete(error ?? Volatile.Read(ref _abortReason));
    }

    private uint CurrentInterest() =>
        (_readPaused || _inputEnded ? 0 : ReadInterest) | (_writable is not null ? Epoll.Out : 0);

    // Under _interestLock. A socket waited on for nothing leaves the set: epoll reports a hang-up or an error whatever
    // the interest, level-triggered, so a socket whose input has ended and whose peer then reset it kept the loop's
    // thread from ever sleeping until the connection was disposed.
    private void UpdateInterest()
    {
        if (!_registered || _removed)
            return;
        var interest = CurrentInterest();
        if (interest == 0)
        {
            if (_inSet)
                Epoll.Delete(_loop.EpollDescriptor, Descriptor);
            _inSet = false;
        }
        else if (!_inSet)
        {
            Epoll.Add(_loop.EpollDescriptor, Descriptor, interest, Id);
            _inSet = true;
        }
        else if (interest != _interest)
            Epoll.Modify(_loop.EpollDescriptor, Descriptor, interest, Id);

        _interest = interest;
    }

    private void SignalWritable()
    {
        TaskCompletionSource? writable;
        lock (_interestLock)
            writable = TakeWritable();
        writable?.TrySetResult();
    }

    // Under _interestLock: the send waiting for the socket, which no longer waits on epoll for it.
    private TaskCompletionSource? TakeWritable()
    {
        var writable = _writable;
        _writable = null;
        UpdateInterest();
        return writable;
    }

    private Task WritableAsync()
    {
        lock (_interestLock)
        {
            if (_removed || Volatile.Read(ref _abortReason) is not null)
                throw new ConnectionAbortedException("The connection is closed");
            _writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            UpdateInterest();
            return _writable.Task;
        }
    }

    /// <summary>
    /// Sends what the session flushes, on the flushing thread (the output pipe's inline reader scheduler); waits for the
    /// loop only when the socket's send buffer is full.
    /// </summary>
    private async Task SendAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                    break;
                var buffer = result.Buffer;
                try
                {
                    while (!buffer.IsEmpty)
                    {
                        var sent = SendSome(buffer);
                        if (sent < 0)
                            await WritableAsync().ConfigureAwait(false);
                        else
                        {
                            buffer = buffer.Slice(sent);
                            Interlocked.Add(ref _sent, sent);
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start);
                }

                if (result.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            error = e;
            ShutDown();
        }
        finally
        {
            await reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    // Bytes sent from the front of the buffer, or -1 when the socket's send buffer is full.
    private int SendSome(in ReadOnlySequence<byte> buffer)
    {
        ReadOnlySpan<byte> bytes;
        if (buffer.IsSingleSegment || buffer.First.Length >= MaxGatherBytes)
            bytes = buffer.First.Span;
        else
        {
            // Several replies in several blocks: one send instead of one per block.
            var gather = t_gather ??= new byte[MaxGatherBytes];
            var length = (int)Math.Min(buffer.Length, MaxGatherBytes);
            buffer.Slice(0, length).CopyTo(gather);
            bytes = gather.AsSpan(0, length);
        }

        var sent = _socket.Send(bytes, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
            return -1;
        if (error != SocketError.Success)
            throw new ConnectionResetException($"Sending to the client failed ({error})", new SocketException((int)error));
        return sent;
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, abortReason, null) is not null)
            return;
        ShutDown();
        // Unsent replies are dropped: the send loop ends at its next read, or now if it waits for the socket.
        _output.Reader.CancelPendingRead();
        TaskCompletionSource? writable;
        lock (_interestLock)
            writable = TakeWritable();
        writable?.TrySetException(new ConnectionAbortedException("The connection is closed"));
        FireClosed();
    }

    /// <summary>On the loop's thread as it stops: the connection is aborted and its input ends (no event will end it).</summary>
    internal void EndOnStop()
    {
        Abort(new ConnectionAbortedException("The RESP event loop stopped"));
        EndInput(null);
    }

    // The loop then sees the socket end (its input completes) and a waiting send fails.
    private void ShutDown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset or closed already.
        }
    }

    private void FireClosed()
    {
        if (Interlocked.Exchange(ref _closedFired, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static connection => connection.CancelClosed(), this, preferLocal: false);
    }

    private void CancelClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException e)
        {
            // A callback registered on ConnectionClosed failed: the connection is closed all the same.
            _loop.Logger.LogError(e, "A ConnectionClosed callback of RESP connection {Connection} failed", ConnectionId);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);

        // What the session left is sent unless the client does not take it in time.
        try
        {
            await _sending.WaitAsync(s_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort(new ConnectionAbortedException("The client did not read its last replies"));
        }
        await _sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        await _loop.RemoveAsync(this).ConfigureAwait(false);
        FireClosed();
    }
}
