using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Resp;

/// <summary>
/// The session's output: replies and pushes appended in order to <see cref="_output"/> (straight into the transport on
/// an event loop connection), never waiting for the client; past the output limit the client is dropped.
/// </summary>
internal sealed partial class ClientSession
{
    private readonly OutputBuffer _output = new();
    private readonly PushQueue _pushes = new();
    // Wakes the push loop: pushes no reply's append took go out with it.
    private readonly Channel<bool> _pushWake = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private int _overLimit;

    /// <summary>Queues replies for the writer loop; never waits for the client to read them.</summary>
    private async Task WriteAsync(List<Reply> replies, bool allPushes = false)
    {
        var limit = Subscriptions.Count > 0 ? _services.Options.PubSubOutputBufferLimitBytes : _services.Options.OutputBufferLimitBytes;
        var pending = await _output.AppendAsync(replies, ProtocolVersion, limit, _pushes, allPushes).ConfigureAwait(false);
        if (limit > 0 && pending > limit)
            CloseOverLimit(pending, limit);
    }

    /// <summary>As Redis does past client-output-buffer-limit: the client is dropped, its unread replies with it.</summary>
    private void CloseOverLimit(long pending, long limit)
    {
        if (Interlocked.Exchange(ref _overLimit, 1) == 1)
            return;
        LogOutputLimit(Address, Subscriptions.Count > 0 ? "pubsub" : "normal", pending, limit);
        _connection.Abort(new ConnectionAbortedException("Client output buffer limit exceeded"));
        _closed.Cancel();
    }

    /// <summary>Queues a pub/sub message for this client; never blocks the caller (the applier).</summary>
    public void Push(Reply message)
    {
        _pushes.Add(message, due: false);
        _pushWake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Queues a client-tracking push that is due (no reply it must follow is still to come): written, after the pushes
    /// queued before it, ahead of any reply appended after this call (<see cref="PushQueue"/>). Left to the push loop
    /// alone, the next command's reply could overtake it (Redis's "Regression test for #11715": the invalidation of a key
    /// evicted as a command started came after its QUEUED). Never blocks.
    /// </summary>
    private void PushFirst(Reply message)
    {
        _pushes.Add(message, due: true);
        _pushWake.Writer.TryWrite(true);
    }

    private async Task PushLoopAsync()
    {
        List<Reply> none = [];
        try
        {
            while (await _pushWake.Reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (_pushWake.Reader.TryRead(out _))
                {
                }

                // Taken under the output's append lock, so no reply appended meanwhile passes a push due before it.
                await WriteAsync(none, allPushes: true).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Session closing.
        }
    }
}
