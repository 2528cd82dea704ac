using RaftKV.Node.Resp;

namespace RaftKV.Node.PubSub;

/// <summary>
/// The reads of a tracking client's EXEC (default mode), remembered for it as Redis's call() remembers them: each when
/// it runs inside the transaction, so a write the same transaction made before the read does not invalidate the key
/// (and forget it again), and one it makes after the read does. A read outside MULTI is remembered before it runs (no
/// change made after it can then be missed); inside EXEC that turned the transaction's own earlier writes into a
/// spare invalidation and left the key untracked, which shifted the replies of Redis's unit/tracking by one.
/// <para>
/// Exact where the transaction applies on this node with its context (the leader's group commit, also when deferred
/// behind a suspended script): the applier calls <see cref="TransactionStepStarting"/> and <see cref="TransactionStep"/>
/// around each of the entry's commands, under the write lock, so no other client's write comes between a read and its
/// remembering. A script's declared keys are remembered before it runs and kept if it called a read-only command
/// (remembered again then: its own writes may have invalidated them), else forgotten, as for a script outside MULTI
/// (<see cref="ScriptReadProbe"/>). With NOLOOP, each write's own-write marks end at its step, so a mark its apply did
/// not use cannot swallow another client's later change of a key a later read of the transaction remembered.
/// </para>
/// <para>
/// An EXEC relayed to the leader cannot step (this node's applier cannot tell which entry is the transaction):
/// <see cref="RememberAll"/> remembers every read's keys before it is sent, as before (a spare invalidation at worst),
/// and ends the NOLOOP marks of keys the transaction also reads, so that its own write of such a key invalidates it
/// after the reply instead of silently forgetting a key the client then holds. A transaction that never applies (a
/// WATCH conflict, EXEC refused, an unknown outcome) remembers nothing, as in Redis; one that applies after its client
/// was told the outcome is unknown remembers spare keys.
/// </para>
/// </summary>
internal sealed class ExecTrackingPlan : Execution.ClientProbe
{
    private readonly TrackingTable _table;
    private readonly ClientSession _session;
    private readonly long _started;
    private readonly List<Command> _commands;
    private readonly List<byte[]>? _ownWrites;
    private Command?[] _steps = [];
    private List<string>? _scriptAdded;
    private int _rememberedAll;

    /// <summary>
    /// One queued command: its request (matched by reference), the keys it reads (null: none remembered), whether it
    /// is a script (remembered only if it calls a read-only command), and the keys its NOLOOP marks name (null: none).
    /// </summary>
    public readonly record struct Command(byte[][] Request, byte[][]? Reads, bool Script, byte[][]? Writes);

    /// <param name="started">The session's count of commands started, EXEC counted (<see cref="TrackingTable.ForgetUnlessFollowed(ClientSession, long, List{string})"/>).</param>
    /// <param name="ownWrites">EXEC's NOLOOP marks (begun as it started, ended with its reply): a step ends its command's and takes them out.</param>
    public ExecTrackingPlan(TrackingTable table, ClientSession session, long started, List<Command> commands, List<byte[]>? ownWrites)
        : base(session)
    {
        _table = table;
        _session = session;
        _started = started;
        _commands = commands;
        _ownWrites = ownWrites;
    }

    /// <summary>
    /// Lays the commands out by their position among those EXEC puts into its entry (<paramref name="keyspace"/>, in
    /// order). A command not among them never runs (its error was kept at queue time or found at EXEC): its NOLOOP marks
    /// end now, or one could swallow another client's change of a key a later read of the transaction remembers.
    /// </summary>
    public void Align(IReadOnlyList<byte[][]> keyspace)
    {
        var steps = new Command?[keyspace.Count];
        foreach (var command in _commands)
        {
            var placed = false;
            for (var i = 0; i < keyspace.Count && !placed; i++)
            {
                if (ReferenceEquals(keyspace[i], command.Request))
                {
                    steps[i] = command;
                    placed = true;
                }
            }

            if (!placed && command.Writes is { } writes)
                EndWrites(writes);
        }

        _steps = steps;
    }

    /// <summary>Remembers every read's keys now, before the transaction can run (a relayed EXEC; see the remarks).</summary>
    public void RememberAll()
    {
        if (Interlocked.Exchange(ref _rememberedAll, 1) != 0)
            return;
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in _commands)
        {
            if (command.Reads is { } keys)
            {
                _table.Remember(_session, keys);
                foreach (var key in keys)
                    read.Add(TrackingTable.Name(key));
            }
        }

        if (_ownWrites is not null)
            EndWrites(_ownWrites.Where(key => read.Contains(TrackingTable.Name(key))).ToArray());
    }

    public override void TransactionStepStarting(int position)
    {
        if (Step(position) is { Script: true, Reads: { } keys })
        {
            _scriptAdded = [];
            _table.Remember(_session, keys, _scriptAdded);
        }
    }

    public override void TransactionStep(int position, bool scriptCalledRead)
    {
        if (Step(position) is not { } step)
            return;
        if (step.Reads is { } keys)
        {
            if (!step.Script || scriptCalledRead)
                _table.Remember(_session, keys);
            else if (_scriptAdded is { Count: > 0 } added)
                _table.ForgetUnlessFollowed(_session, _started, added);
            _scriptAdded = null;
        }

        if (step.Writes is { } writes)
            EndWrites(writes);
    }

    private Command? Step(int position) =>
        Volatile.Read(ref _rememberedAll) == 0 && (uint)position < (uint)_steps.Length ? _steps[position] : null;

    // Ends these NOLOOP marks unless EXEC's reply ended them all already (it ends those left; see ClientSession.EndOwnWrites).
    private void EndWrites(IReadOnlyList<byte[]> keys)
    {
        if (_ownWrites is null || keys.Count == 0)
            return;
        List<byte[]>? ended = null;
        lock (_ownWrites)
        {
            foreach (var key in keys)
            {
                if (_ownWrites.Remove(key))
                    (ended ??= []).Add(key);
            }
        }

        if (ended is not null)
            _session.Tracking.EndWrite(ended);
    }
}
