using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using RaftKV.Node.Execution;
using RaftKV.Node.PubSub;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>
/// One client connection: reads requests from the connection's pipe, runs them one after another and writes the
/// replies in request order. Replies to everything parsed from one read are flushed together, so pipelined
/// clients get one write per batch. Malformed input gets Redis's protocol error and closes only this connection.
/// Pub/sub messages arrive on <see cref="_pushes"/> and are written between replies.
/// </summary>
internal sealed partial class ClientSession : IExecutionCaller, IAsyncDisposable
{
    private readonly ConnectionContext _connection;
    private readonly SessionServices _services;
    private readonly SemaphoreSlim _outputLock = new(1, 1);
    private readonly Channel<Reply> _pushes = Channel.CreateUnbounded<Reply>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();
    private readonly List<Reply> _batch = [];
    private readonly List<ValueTask<Reply?>> _inflight = [];
    private InflightKind _inflightKind;
    private readonly ILogger _logger;
    private bool _quit;

    public ClientSession(ConnectionContext connection, SessionServices services)
    {
        _connection = connection;
        _services = services;
        Id = services.Clients.NextId();
        Address = connection.RemoteEndPoint?.ToString() ?? "?";
        LocalAddress = connection.LocalEndPoint?.ToString() ?? "?";
        CreatedAt = DateTimeOffset.UtcNow;
        Subscriptions = new SubscriptionSet();
        _logger = services.Logger;
    }

    public long Id { get; }

    public string Address { get; }

    public string LocalAddress { get; }

    public DateTimeOffset CreatedAt { get; }

    public string? Name { get; set; }

    public string? LibraryName { get; set; }

    public string? LibraryVersion { get; set; }

    public int ProtocolVersion { get; set; } = 2;

    public string LastCommand { get; private set; } = "NULL";

    public SubscriptionSet Subscriptions { get; }

    public bool IsForwarded { get; private set; }

    public ForwardingConnection? Forwarder { get; set; }

    public async Task RunAsync()
    {
        _services.Clients.Add(this);
        var pushLoop = PushLoopAsync();
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            _services.Clients.Remove(this);
            _services.Broker.UnsubscribeAll(this);
            _pushes.Writer.TryComplete();
            await _closed.CancelAsync().ConfigureAwait(false);
            await pushLoop.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Consecutive pipelined writes on the leader are proposed without waiting for each other's commit: DotNext
    /// appends them in call order (its append lock is FIFO), so they apply in the order the client sent them, and
    /// one replication round commits many. Any other command first waits for the writes before it, so a read in a
    /// pipeline sees the writes sent before it. At most <see cref="MaxInflightWrites"/> writes are in flight.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        var input = _connection.Transport.Input;
        var replies = _batch;
        while (!_quit)
        {
            var result = await input.ReadAsync(_connection.ConnectionClosed).ConfigureAwait(false);
            var buffer = result.Buffer;
            string? protocolError = null;
            try
            {
                while (!_quit && RespRequestReader.TryRead(ref buffer, _services.Limits, out var request))
                {
                    var kind = Classify(request!);
                    if (kind != InflightKind.None && (_inflight.Count == 0 || kind == _inflightKind) && _inflight.Count < MaxInflight)
                    {
                        _inflightKind = kind;
                        _inflight.Add(ExecuteAsync(request!));
                        continue;
                    }

                    await DrainInflightAsync().ConfigureAwait(false);
                    if (kind != InflightKind.None)
                    {
                        _inflightKind = kind;
                        _inflight.Add(ExecuteAsync(request!));
                        continue;
                    }

                    if (await ExecuteAsync(request!).ConfigureAwait(false) is { } reply)
                        replies.Add(reply);
                }
            }
            catch (RespProtocolException e)
            {
                protocolError = e.Message;
                await DrainInflightAsync().ConfigureAwait(false);
                replies.Add(Reply.Error("ERR " + e.Message));
            }

            await DrainInflightAsync().ConfigureAwait(false);
            input.AdvanceTo(buffer.Start, buffer.End);
            if (replies.Count > 0)
            {
                await WriteAsync(replies).ConfigureAwait(false);
                replies.Clear();
            }

            if (protocolError is not null)
            {
                LogProtocolError(Address, protocolError);
                break;
            }

            if (result.IsCompleted)
                break;
        }
    }

    private const int MaxInflight = 1024;

    /// <summary>What the commands in flight are: a pipelined group holds only writes or only reads.</summary>
    private enum InflightKind
    {
        None,
        Write,
        Read,
    }

    /// <summary>
    /// Writes and reads on the leader may run concurrently with their own kind: consecutive writes are appended in
    /// call order (group commit), consecutive reads were all received before any of their barriers started, so one
    /// (DotNext-coalesced) replication round confirms them all. A read never overlaps a write sent before it, nor a
    /// write a read sent before it, so each command sees exactly the connection's earlier commands.
    /// </summary>
    private InflightKind Classify(RespRequest request)
    {
        if (!_services.Raft.IsLeader || Subscriptions.Count > 0
            || !CommandTable.TryGet(request[0], out var spec)
            || (spec.Flags & (CommandFlags.Connection | CommandFlags.Admin | CommandFlags.PubSub)) != 0
            || !spec.AcceptsArgumentCount(request.Count))
            return InflightKind.None;
        if (spec.IsWrite)
            return BlockingCommand.IsBlocking(spec.Id) ? InflightKind.None : InflightKind.Write;
        return spec.IsRead ? InflightKind.Read : InflightKind.None;
    }

    private async Task DrainInflightAsync()
    {
        foreach (var write in _inflight)
        {
            if (await write.ConfigureAwait(false) is { } reply)
                _batch.Add(reply);
        }

        _inflight.Clear();
    }

    private async Task WriteAsync(List<Reply> replies)
    {
        await _outputLock.WaitAsync(_closed.Token).ConfigureAwait(false);
        try
        {
            var output = _connection.Transport.Output;
            foreach (var reply in replies)
                RespReplyWriter.Write(output, reply, ProtocolVersion);
            await output.FlushAsync(_closed.Token).ConfigureAwait(false);
        }
        finally
        {
            _outputLock.Release();
        }
    }

    /// <summary>Queues a pub/sub message for this client; never blocks the caller (the applier).</summary>
    public void Push(Reply message) => _pushes.Writer.TryWrite(message);

    private async Task PushLoopAsync()
    {
        var batch = new List<Reply>();
        try
        {
            while (await _pushes.Reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                while (_pushes.Reader.TryRead(out var message))
                    batch.Add(message);
                await WriteAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Session closing.
        }
    }

    /// <summary>Runs one request. Returns its reply, or null when the command added its replies to <see cref="_batch"/> itself.</summary>
    private async ValueTask<Reply?> ExecuteUnfilteredAsync(RespRequest request)
    {
        var name = request[0];
        if (!CommandTable.TryGet(name, out var spec))
        {
            if (IsHandshake(name))
            {
                IsForwarded = true;
                ProtocolVersion = 3;
                return Reply.Ok;
            }

            return Reply.Error(ErrorMessages.UnknownCommand(System.Text.Encoding.UTF8.GetString(name), request.Arguments.Skip(1).ToList()));
        }

        LastCommand = spec.Name;
        if (!spec.AcceptsArgumentCount(request.Count))
            return Reply.Error(ErrorMessages.WrongArity(spec.Name));
        if (Subscriptions.Count > 0 && ProtocolVersion == 2 && (spec.Flags & CommandFlags.AllowedInSubscribe) == 0)
            return Reply.Error($"ERR Can't execute '{spec.Name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");

        try
        {
            if ((spec.Flags & CommandFlags.Connection) != 0)
                return ExecuteConnectionCommand(spec, request.Arguments);
            if ((spec.Flags & CommandFlags.Admin) != 0)
                return await _services.Server.ExecuteAsync(spec, request.Arguments, this, _closed.Token).ConfigureAwait(false);
            return await _services.Executor.ExecuteAsync(spec, request.Arguments, this, _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogCommandFailed(spec.Name, e);
            return Reply.Error("ERR internal error: " + e.GetType().Name);
        }
    }

    private static bool IsHandshake(ReadOnlySpan<byte> name) =>
        name.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(ForwardingConnection.Handshake));

    /// <summary>Closes the connection after the replies queued so far are written.</summary>
    public void Quit() => _quit = true;

    public async ValueTask DisposeAsync()
    {
        if (Forwarder is { } forwarder)
            await forwarder.DisposeAsync().ConfigureAwait(false);
        _closed.Dispose();
        _outputLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing connection {Client} after a protocol error: {Error}")]
    private partial void LogProtocolError(string client, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Command {Command} failed")]
    private partial void LogCommandFailed(string command, Exception e);
}
