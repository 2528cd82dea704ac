using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Transactions;

namespace RaftKV.Node.Execution;

/// <summary>
/// One connection's MULTI state and WATCHed keys (Redis 7.0's multiState and watched_keys). Owned by the session and
/// used from its read loop only (never concurrently).
/// <para>
/// Queue-time errors are the ones Redis finds before queueing (processCommand): an unknown command, a wrong number of
/// arguments, a command not allowed inside a transaction (SAVE). They make EXEC answer EXECABORT and apply nothing.
/// Errors Redis only finds when the command runs (WRONGTYPE, a syntax error of the command's own arguments) appear as
/// that command's item of EXEC's array: the stateless validator runs at queue time here, but its error is kept for
/// EXEC's array, not counted as a queue-time error.
/// </para>
/// <para>
/// Watches are taken where the session's keyspace commands run: on the leader, as revisions read after a read barrier
/// (<see cref="LocalRoute"/>); on a follower, by forwarding WATCH on the session's forwarding connection, so that the
/// leader's session for that connection holds them (the route is that connection). A watch belongs to its route: if
/// EXEC finds another route (another forwarding connection, a new leader, or this node leading now where it followed,
/// or the reverse), the watch is lost and EXEC answers the null array without running anything, as if a watched key
/// had changed; the client retries, as it does on any conflict.
/// </para>
/// </summary>
internal sealed class Transaction
{
    /// <summary>The route of watches taken on this node as leader.</summary>
    public static readonly object LocalRoute = new();

    private readonly List<QueuedCommand> _queued = [];
    private readonly List<WatchedKey> _watches = [];

    /// <summary>True between MULTI and EXEC, DISCARD or RESET.</summary>
    public bool IsActive { get; private set; }

    /// <summary>True once a queue-time error was answered: EXEC answers EXECABORT.</summary>
    public bool IsDirty { get; private set; }

    public IReadOnlyList<QueuedCommand> Queued => _queued;

    /// <summary>The watches taken on this node as leader (the conditions of the EXEC entry).</summary>
    public IReadOnlyList<WatchedKey> Watches => _watches;

    /// <summary>Where the watches were taken (<see cref="LocalRoute"/> or a forwarding connection); null when none.</summary>
    public object? WatchRoute { get; private set; }

    /// <summary>True when two WATCHes took different routes: EXEC must fail.</summary>
    public bool WatchLost { get; private set; }

    /// <summary>A tracking client's EXEC: its reads, to remember as they run (set as EXEC starts; <see cref="PubSub.ExecTrackingPlan"/>).</summary>
    public PubSub.ExecTrackingPlan? TrackingPlan { get; set; }

    /// <summary>What EXEC's entry carries to the apply (<see cref="ClientProbe"/>): the tracking plan, or a probe for its scripts' ACL refusals.</summary>
    public ClientProbe? Probe { get; set; }

    /// <summary>Commands that run at once even inside MULTI (processCommand's exceptions).</summary>
    public static bool RunsInsideMulti(CommandId id) =>
        id is CommandId.Exec or CommandId.Discard or CommandId.Multi or CommandId.Watch or CommandId.Quit or CommandId.Reset;

    /// <summary>Commands flagged no-multi in Redis 7.0.</summary>
    private static bool IsNoMulti(CommandId id) => id is CommandId.Save or CommandId.Shutdown or CommandId.Sync or CommandId.Psync;

    /// <summary>
    /// Keyspace commands go into EXEC's entry: reads and writes the state machine executes, PUBLISH included, blocking
    /// commands too (applied, they never block: their non-blocking form, as Redis runs them inside EXEC).
    /// </summary>
    public static bool IsKeyspace(CommandSpec spec) =>
        (spec.Flags & (CommandFlags.Read | CommandFlags.Write)) != 0
        && (spec.Flags & (CommandFlags.Admin | CommandFlags.Connection | CommandFlags.Internal)) == 0;

    /// <summary>
    /// Redis 7.0 looks subcommands up before queueing: an unknown subcommand or a subcommand's wrong number of
    /// arguments (named container|subcommand) is a queue-time error; a command's own arity checks (MSET's pairs) are not.
    /// </summary>
    private static bool IsSubcommandLookupError(string message) =>
        message.StartsWith("ERR unknown subcommand", StringComparison.Ordinal)
        || (message.StartsWith("ERR wrong number of arguments for '", StringComparison.Ordinal) && message.Contains('|', StringComparison.Ordinal));

    public Reply Begin()
    {
        if (IsActive)
            return Reply.Error("ERR MULTI calls can not be nested");
        IsActive = true;
        return Reply.Ok;
    }

    /// <summary>Marks a queue-time error (its reply is sent by the caller).</summary>
    public void Flag()
    {
        if (IsActive)
            IsDirty = true;
    }

    /// <summary>Queues <paramref name="request"/> (the whole request, name first) and answers QUEUED, or a queue-time error.</summary>
    public Reply Queue(CommandSpec spec, byte[][] request)
    {
        if (IsNoMulti(spec.Id))
        {
            IsDirty = true;
            return Reply.Error("ERR Command not allowed inside a transaction");
        }

        var runtimeError = IsKeyspace(spec) ? KeyValueStore.Validate(spec.Id, request[1..]) : null;
        if (runtimeError is ErrorReply error && IsSubcommandLookupError(error.Message))
        {
            IsDirty = true;
            return error;
        }

        // As Redis, nothing more is kept once the transaction is bound to abort.
        if (!IsDirty)
            _queued.Add(new QueuedCommand(spec, request, runtimeError));
        return Reply.Simple("QUEUED");
    }

    /// <summary>Adds watches taken on <paramref name="route"/>.</summary>
    public void AddWatches(IEnumerable<WatchedKey> watches, object route)
    {
        ArgumentNullException.ThrowIfNull(watches);
        NoteRoute(route);
        foreach (var watch in watches)
        {
            // As Redis: a key already watched keeps its first revision.
            if (!_watches.Exists(w => w.Key.AsSpan().SequenceEqual(watch.Key)))
                _watches.Add(watch);
        }
    }

    /// <summary>Records a WATCH forwarded through <paramref name="route"/> (the leader holds the revisions).</summary>
    public void AddForwardedWatch(object route) => NoteRoute(route);

    private void NoteRoute(object route)
    {
        if (WatchRoute is not null && !ReferenceEquals(WatchRoute, route))
            WatchLost = true;
        WatchRoute = route;
    }

    /// <summary>Ends MULTI (EXEC, DISCARD, RESET): the queue and the dirty flag go; watches stay until <see cref="Unwatch"/>.</summary>
    public void End()
    {
        IsActive = false;
        IsDirty = false;
        TrackingPlan = null;
        Probe = null;
        _queued.Clear();
    }

    public void Unwatch()
    {
        _watches.Clear();
        WatchRoute = null;
        WatchLost = false;
    }
}
