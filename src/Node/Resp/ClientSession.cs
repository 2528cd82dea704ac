using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using RaftKV.Node.Execution;
using RaftKV.Node.PubSub;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>
/// One client connection: reads requests from the connection's pipe, runs them (plain reads and writes pipelined, see
/// ClientSession.Pipeline.cs; everything else alone) and queues the replies in request order on <see cref="_output"/>,
/// which a writer loop drains to the socket; replies that are ready together are queued together. Reading never waits for
/// the client to read its replies (as in Redis); unread replies beyond the output limit close the client.
/// Malformed input gets Redis's protocol error and closes only this connection.
/// Pushes (pub/sub messages, invalidations) are queued on <see cref="_pushes"/> in order and written between replies.
/// </summary>
internal sealed partial class ClientSession : IExecutionCaller, IAsyncDisposable
{
    private readonly ConnectionContext _connection;
    private readonly SessionServices _services;
    private readonly CancellationTokenSource _closed = new();
    private readonly List<Reply> _batch = [];
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


    public SubscriptionSet Subscriptions { get; }

    public bool IsForwarded { get; private set; }

    public ForwardingConnection? Forwarder { get; set; }

    // Never disposed: a relay may still release it as the session ends, and it holds no wait handle.
    public SemaphoreSlim ForwarderGate { get; } = new(1, 1);

    /// <summary>The ACL user this connection runs as, and whether it authenticated.</summary>
    public RaftKV.Node.Security.SessionIdentity Identity { get; } = new();

    public string UserName => Identity.UserName;

    public async Task RunAsync()
    {
        Identity.SetDefault(_services.Access.Users);
        _services.Clients.Add(this);
        // Under TLS the transport's output is the TLS layer's, not the direct writer beneath it.
        if (_connection.Features.Get<IDirectOutput>() is { } direct && ReferenceEquals(direct.Output, _connection.Transport.Output))
            _output.UseDirect(direct);
        var writeLoop = _output.DrainAsync(_connection.Transport.Output, _closed.Token);
        var pushLoop = PushLoopAsync();
        var replyLoop = ReplyLoopAsync();

        // The node stopping (SIGTERM, SHUTDOWN) closes client connections as Redis does: reading stops, commands in
        // flight get 2 s to answer, then the connection is dropped. Kestrel's graceful stop otherwise waited for every
        // idle client to leave, up to the host's 30 s shutdown timeout.
        var closing = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(_connection.ConnectionClosed, closing);
        using var dropLater = closing.Register(() => _ = DropAfterAsync(TimeSpan.FromSeconds(2)));
        try
        {
            await ReadLoopAsync(stopReading.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            _services.Clients.Remove(this);
            _services.Monitors.Remove(this);
            _services.Broker.UnsubscribeAll(this);
            _services.Tracking.Disable(this);
            _pushWake.Writer.TryComplete();
            await pushLoop.ConfigureAwait(false);

            // Commands in flight run to their end (a write sent before closing is applied, as Redis applies it).
            SendForwardRun();
            _queued.Writer.TryComplete();
            await replyLoop.ConfigureAwait(false);
            ReleaseHeldRedirects();

            // Replies queued so far still go out (QUIT's +OK, a protocol error) unless the connection is gone.
            await _output.CompleteAsync().ConfigureAwait(false);
            await WaitWrittenAsync(writeLoop).ConfigureAwait(false);
            await _closed.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task DropAfterAsync(TimeSpan grace)
    {
        await Task.Delay(grace).ConfigureAwait(false);
        if (_closed.IsCancellationRequested)
            return;
        _connection.Abort(new ConnectionAbortedException("The node is shutting down"));
        try
        {
            await _closed.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The session ended meanwhile.
        }
    }

    private static async Task WaitWrittenAsync(Task writeLoop)
    {
        try
        {
            await writeLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection closed before every reply was written.
        }
    }

    /// <summary>
    /// Parses requests as they arrive and never waits for the client to read replies. Plain reads and writes on the
    /// leader are pipelined (<see cref="QueueAsync"/>): they run concurrently and the reply loop hands their replies to
    /// the output in request order. Any other command first waits until every earlier reply is handed over, then runs
    /// alone; its reply goes to <see cref="_batch"/>, which holds replies only while nothing is queued after them.
    /// Reading pauses only while <see cref="MaxInflight"/> commands are in flight (or a command runs alone).
    /// </summary>
    private async Task ReadLoopAsync(CancellationToken stop)
    {
        var input = _connection.Transport.Input;
        var replies = _batch;
        while (!_quit && !_closed.IsCancellationRequested)
        {
            if (ReplyFlushes.Active)
                await SocketThreads.Leave();
            var result = await input.ReadAsync(stop).ConfigureAwait(false);
            var buffer = result.Buffer;

            // A large input (many requests, or one large request whose arguments are copied out once whole) is parsed
            // not on a socket event thread (SocketThreads). A request arriving in many reads is walked once
            // (_requestScan).
            if (buffer.Length > LargeInputBytes)
                await SocketThreads.Leave();
            string? protocolError = null;
            try
            {
                var unparsed = buffer.Length;
                while (!_quit && !_closed.IsCancellationRequested && RespRequestReader.TryRead(ref buffer, RequestLimits, _requestScan, out var request))
                {
                    // A wait answered through the group commit resumes this loop inside the pass that answers the whole
                    // batch: the rest of this client's input is not run there (SocketThreads.Leave).
                    if (ReplyFlushes.Active)
                        await SocketThreads.Leave();

                    (QueryBufferBytes, unparsed) = (unparsed, buffer.Length);
                    if (Security.CrossProtocolGuard.IsHttpCommand(request![0]))
                    {
                        CloseForHttpRequest();
                        break;
                    }

                    if (RequiresHandshake && !PassesProtectedMode(request[0]))
                    {
                        await UntilAnsweredAsync().ConfigureAwait(false);
                        replies.Add(Reply.Error(Security.ProtectedMode.DeniedMessage));
                        _quit = true;
                        break;
                    }

                    // A long run of commands answered alone queues its replies as it goes, so the output limit sees them.
                    if (replies.Count >= MaxBatchedReplies)
                        await WriteAloneRepliesAsync(replies).ConfigureAwait(false);

                    var kind = Classify(request!, out var spec);

                    // A command Redis does not flag fast may run long: not on a socket event thread (SocketThreads). A
                    // write or a relayed command only queues here. (Classify looked the command up, unless it knew it
                    // runs alone before that: then look it up here.)
                    if (kind is InflightKind.None or InflightKind.Read
                        && ((spec ?? (CommandTable.TryGet(request![0], out var found) ? found : null)) is not { } known
                            || (known.Flags & CommandFlags.Fast) == 0))
                        await SocketThreads.Leave();

                    if (kind == InflightKind.Read && await TryReadAloneAsync(request!, replies).ConfigureAwait(false))
                        continue;
                    if (kind != InflightKind.None)
                    {
                        await QueueAsync(request!, kind, spec!).ConfigureAwait(false);
                        continue;
                    }

                    await UntilAnsweredAsync().ConfigureAwait(false);
                    if (await ExecuteAsync(request!).ConfigureAwait(false) is { } reply)
                        replies.Add(reply);
                    _aloneUnanswered++;
                }
            }
            catch (RespProtocolException e)
            {
                protocolError = e.Message;
                await UntilAnsweredAsync().ConfigureAwait(false);
                replies.Add(Reply.Error("ERR " + e.Message));
            }

            // What this read brought is relayed before waiting for more.
            SendForwardRun();
            QueryBufferBytes = buffer.Length;
            input.AdvanceTo(buffer.Start, buffer.End);
            await WriteAloneRepliesAsync(replies).ConfigureAwait(false);

            if (protocolError is not null)
            {
                LogProtocolError(Address, protocolError);
                break;
            }

            if (result.IsCompleted)
                break;
        }
    }

    private const int MaxBatchedReplies = 1024;

    private readonly RespRequestScan _requestScan = new();

    private const int LargeInputBytes = 64 * 1024;

    /// <summary>Runs one request. Returns its reply, or null when the command added its replies to <see cref="_batch"/> itself.</summary>
    /// <param name="afterPipelinedWrites">See <see cref="CommandExecutor.ExecuteAsync"/>.</param>
    /// <param name="run">See <see cref="CommandExecutor.ExecuteAsync"/>.</param>
    /// <param name="probe">A tracking client's script: see <see cref="CommandExecutor.ExecuteAsync"/>.</param>
    private async ValueTask<Reply?> ExecuteUnfilteredAsync(RespRequest request, bool afterPipelinedWrites, ForwardRun? run, ClientProbe? probe = null)
    {
        var name = request[0];
        if (_services.Access.IsRevoked(Identity))
        {
            // Its user was deleted: Redis closes such a connection without answering.
            Kill();
            return null;
        }

        if (!CommandTable.TryGet(name, out var spec))
        {
            if (IsHandshake(name))
                return AnswerHandshake(request);

            if (IsForwarded && request.Count == 2 && name.AsSpan().SequenceEqual(RunAsName))
                return _services.Access.RunAs(Identity, request[1]) ? Reply.Ok : Reply.Error(RaftKV.Node.Security.AccessControl.WrongPass);

            if (IsForwarded && request.Count == 2 && name.AsSpan().SequenceEqual(HoldName))
                return await HoldElectionsAsync(request[1]).ConfigureAwait(false);

            if (IsForwarded && request.Count == 1 && name.AsSpan().SequenceEqual(ProgressName))
                return RaftKV.Node.Raft.MemberProgress.Answer(_services.Raft);

            if (IsForwarded && request.Count == 4 && RaftKV.Node.Server.WaitCommand.IsHolds(name))
                return await RaftKV.Node.Server.WaitCommand.AnswerHoldsAsync(_services.Raft, request[1], request[2], request[3], _closed.Token).ConfigureAwait(false);

            var unknown = Reply.Error(ErrorMessages.UnknownCommand(System.Text.Encoding.UTF8.GetString(name), request.Arguments.Skip(1).ToList()));
            _services.Stats.Rejected(null, unknown);
            _transaction.Flag();
            return unknown;
        }

        var fullName = NoteCommand(spec, request.Arguments);
        Reply? reply = null;
        if (!spec.AcceptsArgumentCount(request.Count))
            reply = Reply.Error(ErrorMessages.WrongArity(spec.Name));
        // A known subcommand's own arity, checked before ACL as Redis's processCommand does ("container|sub" in the error).
        else if (AclCommandCatalog.SubcommandRefusing(fullName, request.Count) is { } sub)
            reply = Reply.Error(ErrorMessages.WrongArity(sub.FullName));
        else if (_services.Access.Check(Identity, spec, request.Arguments, AclLogContext, DescribeClientOnce) is { } denied)
            reply = denied;
        else if (Subscriptions.Count > 0 && ProtocolVersion == 2 && (spec.Flags & CommandFlags.AllowedInSubscribe) == 0)
            reply = Reply.Error($"ERR Can't execute '{spec.Name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        if (reply is not null)
        {
            _services.Stats.Rejected(fullName, reply);
            _transaction.Flag();
            return reply;
        }

        if (BusyRefusal(spec, request.Arguments) is { } busy)
        {
            reply = await RefuseBusyAsync(spec, busy).ConfigureAwait(false);
            _services.Stats.Rejected(fullName, reply);
            return reply;
        }

        // As Redis's processCommand: EXEC of a transaction holding a denyoom command is refused while memory is over
        // maxmemory, and the transaction is discarded (EXECABORT ... OOM).
        if (spec.Id == CommandId.Exec && _transaction.IsActive && !_transaction.IsDirty && await QueuedRefusedForMemoryAsync().ConfigureAwait(false))
        {
            reply = await RefuseBusyAsync(spec, CommandExecutor.OutOfMemory).ConfigureAwait(false);
            _services.Stats.Rejected(fullName, reply);
            return reply;
        }

        if (spec.Id != CommandId.Client && _services.Clients.Pause.IsActive)
            await PausedAsync(spec, request.Arguments).ConfigureAwait(false);

        // MONITOR sees a command once it runs (or is queued), never one refused or held by a pause, as Redis feeds it from call().
        if (!_services.Monitors.IsEmpty && (spec.Flags & CommandFlags.Admin) == 0 && spec.Id != CommandId.Monitor)
            _services.Monitors.Feed(this, request.Arguments, redact: spec.Id is CommandId.Auth || (spec.Id is CommandId.Hello && request.Count > 2));

        if (_transaction.IsActive && !Transaction.RunsInsideMulti(spec.Id))
        {
            if (await _services.Executor.RefusesForMemoryAsync(spec, request.Arguments, _closed.Token).ConfigureAwait(false))
            {
                reply = Reply.Error(CommandExecutor.OutOfMemory);
                _services.Stats.Rejected(fullName, reply);
                _transaction.Flag();
                return reply;
            }

            return _transaction.Queue(spec, request.Arguments);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var blockedBefore = BlockedTicks;
        var timing = (spec.IsWrite || spec.IsRead) && SlowLogOn ? new ExecutionTiming() : null;
        try
        {
            if (IsTransactionCommand(spec.Id))
                reply = await ExecuteTransactionCommandAsync(spec, request.Arguments).ConfigureAwait(false);
            else if (spec.Id == CommandId.Wait)
                reply = await ExecuteBlockingAsync(spec, request.Arguments).ConfigureAwait(false);
            else if ((spec.Flags & CommandFlags.Connection) != 0)
            {
                if (spec.Id is CommandId.Auth or CommandId.Hello && request.Count > 2)
                    await _services.Access.CatchUpAsync(_closed.Token).ConfigureAwait(false);
                reply = ExecuteConnectionCommand(spec, request.Arguments);
            }
            else if ((spec.Flags & CommandFlags.Admin) != 0)
                reply = await _services.Server.ExecuteAsync(spec, request.Arguments, this, _closed.Token).ConfigureAwait(false);
            else if (BlockingCommand.IsBlocking(spec.Id))
                reply = await ExecuteBlockingAsync(spec, request.Arguments).ConfigureAwait(false);
            else
                reply = await _services.Executor.ExecuteAsync(spec, request.Arguments, this, _closed.Token, afterPipelinedWrites, run, probe, timing).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested || _connection.ConnectionClosed.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogCommandFailed(spec.Name, e);
            reply = Reply.Error("ERR internal error: " + e.GetType().Name);
        }

        var elapsed = _services.Stats.Called(fullName, started, reply as ErrorReply, spec.Name, IsForwarded ? "forwarded" : "resp");
        RecordIfSlow(spec, request.Arguments, timing is { Ticks: >= 0 and var applied } ? applied : elapsed - (BlockedTicks - blockedBefore));
        return reply;
    }

    /// <summary>
    /// A blocking command waits no longer than its client stays connected. The read loop is parked on it and would see
    /// the connection end only afterwards, so Kestrel's ConnectionClosed (the peer's FIN or reset) cancels the wait:
    /// as in Redis, a client that is gone is unblocked and a later push is not popped for it. Other commands keep
    /// running to their end (a write sent just before closing is still applied, as Redis applies it). WAIT blocks as they
    /// do, answered by the server commands (Server/WaitCommand.cs).
    /// </summary>
    private async ValueTask<Reply> ExecuteBlockingAsync(CommandSpec spec, byte[][] arguments)
    {
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token, _connection.ConnectionClosed);
        return spec.Id == CommandId.Wait
            ? await _services.Server.ExecuteAsync(spec, arguments, this, connected.Token).ConfigureAwait(false)
            : await _services.Executor.ExecuteAsync(spec, arguments, this, connected.Token).ConfigureAwait(false);
    }

    private static readonly byte[] RunAsName = System.Text.Encoding.ASCII.GetBytes(ForwardingConnection.RunAs);
    private static readonly byte[] HoldName = System.Text.Encoding.ASCII.GetBytes(ForwardingConnection.HoldElections);
    private static readonly byte[] ProgressName = System.Text.Encoding.ASCII.GetBytes(RaftKV.Node.Raft.MemberProgress.Command);

    // A member's leadership transfer asks this node not to start elections for a while (bounded by the option's limit).
    private async Task<Reply> HoldElectionsAsync(byte[] milliseconds)
    {
        if (!long.TryParse(milliseconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            || ms <= 0 || ms > _services.Options.MembershipChangeTimeoutMs)
            return Reply.Error(ErrorMessages.Syntax);
        return await _services.Raft.HoldElectionsAsync(TimeSpan.FromMilliseconds(ms), _closed.Token).ConfigureAwait(false)
            ? Reply.Ok
            : Reply.Error("ERR this node cannot hold its elections now");
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
        _output.Dispose();
        _slots.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing connection {Client} after a protocol error: {Error}")]
    private partial void LogProtocolError(string client, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client {Client} closed for overcoming of output buffer limits ({Class}: {Pending} bytes unread, limit {Limit})")]
    private partial void LogOutputLimit(string client, string @class, long pending, long limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "Command {Command} failed")]
    private partial void LogCommandFailed(string command, Exception e);
}
