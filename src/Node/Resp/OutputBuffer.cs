using System.Buffers;
using System.IO.Pipelines;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>
/// Replies of one connection, serialized and not yet taken by its socket. The session appends without waiting for
/// the client to read: a client that writes a long pipeline before reading would otherwise block the node's reads
/// while the node blocks its writes (issue 12, bug 3). <see cref="DrainAsync"/> writes the bytes to the transport in
/// the order they were appended; <see cref="PendingBytes"/> is what the session holds against its output limit.
/// </summary>
internal sealed class OutputBuffer : IDisposable
{
    /// <summary>Most bytes handed to the transport per flush, so a large backlog is not copied there at once.</summary>
    private const int MaxWriteBytes = 64 * 1024;

    // Never pauses: the bound is the session's output limit, checked after each append. The drain runs inline in the
    // append's flush when it waits for bytes (the usual case: it keeps up), so a reply reaches the transport without a
    // thread-pool hop; while it waits for a slow client's transport instead, the flush does not wait for it.
    private readonly Pipe _pipe = new(new PipeOptions(
        readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly List<Reply> _pushScratch = []; // under _append
    private long _pendingBytes;
    private bool _completed;

    // Bytes appended in a ReplyFlushes pass and not yet flushed, the buffer registered with a pass that flushes them as
    // it ends (or an append outside a pass flushes them first). Read and written under _append.
    private bool _flushDeferred;

    // Set before the first append when the transport takes replies directly; _pendingBytes then counts every byte
    // appended, and the bytes pending are those not sent yet.
    private IDirectOutput? _direct;

    public long PendingBytes => _direct is { } direct
        ? Interlocked.Read(ref _pendingBytes) - direct.SentBytes
        : Interlocked.Read(ref _pendingBytes);

    /// <summary>
    /// Writes replies straight into the transport's writer from now on (call before anything is appended):
    /// <see cref="DrainAsync"/> has nothing to do then.
    /// </summary>
    public void UseDirect(IDirectOutput output) => _direct = output;

    private PipeWriter Writer => _direct?.Output ?? _pipe.Writer;

    /// <summary>
    /// Appends replies after those appended before; returns the bytes pending after it. Never waits for the client.
    /// Stops appending once more than <paramref name="limit"/> bytes are pending (0 = no limit): the caller closes the
    /// connection then, and serializing the rest of a large batch would only take memory.
    /// </summary>
    /// <param name="pushes">
    /// The session's pushes: those due (all with <paramref name="allPushes"/>) go before <paramref name="replies"/>, taken
    /// under the append lock, so a push due before a reply is appended is written before it, whichever append takes it.
    /// </param>
    public async ValueTask<long> AppendAsync(IReadOnlyList<Reply> replies, int protocolVersion, long limit, PushQueue? pushes = null, bool allPushes = false)
    {
        await _append.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed)
                return PendingBytes;
            var writer = Writer;
            var before = writer.UnflushedBytes;
            if (pushes is not null)
            {
                pushes.Take(_pushScratch, allPushes);
                foreach (var push in _pushScratch)
                    RespReplyWriter.Write(writer, push, protocolVersion);
                _pushScratch.Clear();
            }

            foreach (var reply in replies)
            {
                RespReplyWriter.Write(writer, reply, protocolVersion);
                if (limit > 0 && PendingBytes + writer.UnflushedBytes - before > limit)
                    break;
            }

            Interlocked.Add(ref _pendingBytes, writer.UnflushedBytes - before);
            var pending = PendingBytes;
            if (ReplyFlushes.Deferring)
            {
                // A pass registered it already (this one, or one on another thread, which flushes it as it ends).
                if (!_flushDeferred)
                    ReplyFlushes.Register(this);
                _flushDeferred = true;
                return pending;
            }

            // Completes at once: the pipe never pauses its writer. Bytes a pass deferred go along.
            _flushDeferred = false;
            await writer.FlushAsync().ConfigureAwait(false);
            return pending;
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>
    /// Hands to the transport what appends left unflushed in a <see cref="ReplyFlushes"/> pass; at once when no append
    /// is under way, or else once it ends.
    /// </summary>
    internal void FlushDeferred()
    {
        try
        {
            if (_append.Wait(0))
            {
                FlushDeferredLocked();
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            // The connection ended after the pass appended to it: its replies go nowhere.
            return;
        }

        _ = FlushDeferredLaterAsync();
    }

    private async Task FlushDeferredLaterAsync()
    {
        try
        {
            await _append.WaitAsync().ConfigureAwait(false);
            FlushDeferredLocked();
        }
        catch (ObjectDisposedException)
        {
            // As above.
        }
    }

    private void FlushDeferredLocked()
    {
        try
        {
            if (!_flushDeferred)
                return;
            _flushDeferred = false;
            if (_completed)
                return;

            // Completes at once: the pipe never pauses its writer, and the drain it runs inline does not hold it.
            var flush = Writer.FlushAsync();
            if (flush.IsCompleted)
                flush.GetAwaiter().GetResult();
            else
                _ = flush.AsTask();
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>Nothing more is appended; <see cref="DrainAsync"/> ends once what was appended is written.</summary>
    public async ValueTask CompleteAsync()
    {
        await _append.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed)
                return;
            _completed = true;
            _flushDeferred = false;
            await Writer.FlushAsync().ConfigureAwait(false);
            // A direct transport's writer is the transport's to complete.
            if (_direct is null)
                await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _append.Release();
        }
    }

    /// <summary>Writes appended bytes to <paramref name="output"/> until completed, the transport closes or the token fires.</summary>
    public Task DrainAsync(PipeWriter output, CancellationToken token) => _direct is null ? DrainToAsync(output, token) : Task.CompletedTask;

    private async Task DrainToAsync(PipeWriter output, CancellationToken token)
    {
        var reader = _pipe.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var chunk = buffer.Slice(0, Math.Min(buffer.Length, MaxWriteBytes));
                foreach (var segment in chunk)
                    output.Write(segment.Span);
                var flush = await output.FlushAsync(token).ConfigureAwait(false);
                reader.AdvanceTo(chunk.End);
                Interlocked.Add(ref _pendingBytes, -chunk.Length);
                if (flush.IsCompleted || flush.IsCanceled || (result.IsCompleted && chunk.Length == buffer.Length))
                    return;
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _append.Dispose();
}
