using System.Diagnostics;
using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Raft;

/// <summary>
/// Long scripts, decided by the log. A script (EVAL, EVALSHA, FCALL) applied at top level runs in slices of a fixed
/// instruction count on every replica (the store suspends it at the same instruction everywhere). When its slice ends,
/// the apply of its entry ends with the script suspended and its effects so far pending; every entry applied after it
/// is deferred here (applied to nothing, in log order) until a decision entry for that suspension arrives:
/// <see cref="CommandId.ScriptContinue"/> runs the next slice, <see cref="CommandId.ScriptKill"/> kills the script if it
/// has not written (else it runs on, and the kill answers UNKILLABLE). The leader proposes the decisions
/// (Execution/ScriptDecider); a decision that names another suspension (a duplicate from an old leader) changes nothing.
/// Once the script ends, its caller gets its reply and the deferred entries apply in log order: atomicity holds on
/// every replica, and a replica replaying the log meets the same decisions at the same points.
/// <para>
/// While a script is suspended no snapshot or backup is taken (the state reflects no single index), and reads wait
/// (<see cref="ReadWhenIdleAsync{T}"/>), so nobody sees a script half done.
/// </para>
/// </summary>
internal sealed partial class KvStateMachine
{
    public const string Unkillable = "UNKILLABLE Sorry the script already executed write commands against the dataset. "
                                     + "You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

    private static readonly Task Idle = Task.CompletedTask;

    // Commands applied while a script is suspended, in log order; non-empty only while one is.
    private readonly Queue<DeferredCommand> _deferred = new();
    private ScriptSuspension? _suspension;
    private TaskCompletionSource? _idle;

    /// <summary>The suspended script, or null: read without the lock (a snapshot of the last suspension).</summary>
    public ScriptSuspension? Suspension => Volatile.Read(ref _suspension);

    /// <summary>
    /// Completes once no script is suspended and the commands deferred behind the last one have applied (and been
    /// answered): at once when none is.
    /// </summary>
    public Task WhenScriptIdle => Volatile.Read(ref _idle)?.Task ?? Idle;

    /// <summary>Called (on the applier, under the write lock: never block) whenever a script is suspended or ends.</summary>
    public Action? SuspensionChanged { get; set; }

    /// <summary>Applies one command (an entry's, or one of a Batch's), or defers it behind a suspended script.</summary>
    private void Process(long index, int position, LogCommand command, ReplyTarget complete)
    {
        if (command.Command is CommandId.ScriptContinue or CommandId.ScriptKill)
        {
            if (_suspension is { } current && Names(command, current))
            {
                // Decide first: `complete?.Invoke(Decide(...))` would skip the decision where there is no completion
                // (followers, replay), since ?. short-circuits the argument too; they then stayed suspended forever.
                // The wakes of the script's end and of the commands drained behind it hold nothing: this entry's reply
                // is what the decider waits for before it proposes the next decision, which a client woken here may
                // need (its pop queued behind another long script); their own replies were never held.
                var holds = _wakeHolds;
                var decided = Decide(current, command.Command == CommandId.ScriptKill);
                complete.Invoke(decided);
                Drain();
                _wakeHolds = holds;
                if (_suspension is null)
                    Volatile.Read(ref _idle)?.TrySetResult();
            }
            else
            {
                // Stale (a duplicate from an old leader): it changes nothing, so it need not wait behind the script, and
                // the leader's decider, waiting for it, must not wait for the script it is to decide.
                complete.Invoke(Reply.Zero);
            }

            return;
        }

        if (_suspension is not null)
        {
            _deferred.Enqueue(new DeferredCommand(index, position, command, complete.ToAction(), Probe: complete.Probe, Target: complete));
            return;
        }

        Run(index, position, command, complete);
    }

    /// <summary>
    /// Runs a read a pipelining connection placed in a group-commit entry (leader only), or defers it behind a
    /// suspended script with the commands around it, so it sees what they leave and nothing of a script half done.
    /// </summary>
    private void ProcessRead(Func<KeyValueStore, Reply> read, Action<Reply> complete)
    {
        if (_suspension is not null)
        {
            _deferred.Enqueue(new DeferredCommand(0, 0, null, complete, read));
            return;
        }

        RunRead(read, complete);
    }

    private void RunRead(Func<KeyValueStore, Reply> read, Action<Reply> complete)
    {
        Reply reply;
        try
        {
            reply = read(_store);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reply = Reply.Error("ERR internal error: " + e.GetType().Name);
        }

        ExpiredOnRead(KeyValueStore.TakeExpiredKeysRead());
        complete(reply);
    }

    private void Run(long index, int position, LogCommand command, ReplyTarget complete)
    {
        // The clock only for what uses it: SLOWLOG's timing of the command, or a script that may be suspended (its BUSY
        // threshold counts from here; only a script call suspends, never one inside a transaction). A follower's plain
        // command reads it not at all: two reads were a few percent of the apply.
        var timed = complete.WantsTiming;
        var started = timed || command.Command.IsScriptCall() ? Stopwatch.GetTimestamp() : 0;
        KeyValueStore.ClearScriptObservations();
        _applyingProbe = complete.Probe;
        Reply reply;
        try
        {
            reply = ApplyEntry(index, position, command);
        }
        finally
        {
            _applyingProbe = null;
        }

        ReportScriptObservations(index, complete.Probe);

        if (!_store.IsScriptSuspended)
        {
            complete.ReportScriptRead(KeyValueStore.ScriptCalledReadOnThisThread);
            if (timed)
                complete.Executed(Stopwatch.GetTimestamp() - started);
            complete.Invoke(reply);
            return;
        }

        var threshold = long.TryParse(_store.Config.Get("busy-reply-threshold"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 5000;
        Suspend(new ScriptSuspension(index, position, 1, _store.SuspendedScriptIsEval, _store.SuspendedScriptWritten, started, threshold, command, complete.ToAction()));
    }

    // Every replica records the same refusals; the node whose client sent the command logs them (ACL LOG, lua), and counts
    // the commands it called in its INFO commandstats. Both are taken whether or not a probe reports them. The lambdas
    // are in methods of their own, called only when there is something to report: a lambda's captures (a parameter
    // among them) are allocated on entry to the method that declares it, which in Run was every command applied.
    private void ReportScriptObservations(long index, Execution.ClientProbe? probe)
    {
        if (KeyValueStore.TakeScriptAclRefusals() is { } refusals && probe is not null)
            ReportAclRefusals(index, probe, refusals);
        if (KeyValueStore.TakeScriptCalls() is { } calls && probe is not null)
            ReportScriptCalls(index, probe, calls);
    }

    private void ReportAclRefusals(long index, Execution.ClientProbe probe, List<RaftKV.StateMachine.Acl.ScriptAclRefusal> refusals) =>
        NodeLocalStep(index, () => probe.ScriptAclRefused(refusals));

    private void ReportScriptCalls(long index, Execution.ClientProbe probe, RaftKV.StateMachine.Scripting.ScriptCalls calls) =>
        NodeLocalStep(index, () => probe.ScriptCalled(calls));

    // Applies deferred commands in log order until none is left or one leaves a script suspended in turn.
    private void Drain()
    {
        while (_suspension is null && _deferred.TryDequeue(out var next))
        {
            if (next.Read is { } read)
                RunRead(read, next.Complete!);
            else
                Run(next.Index, next.Position, next.Command!, next.Target ?? new ReplyTarget(next.Complete, next.Probe));
        }
    }

    private Reply Decide(ScriptSuspension current, bool kill)
    {
        // Deterministic: whether the script wrote is part of the state every replica reached by this entry.
        var killed = kill && !current.Written;
        Reply? result;
        try
        {
            result = _store.ContinueScript(killed);
        }
        catch (Exception e)
        {
            LogApplyFailed(current.Index, current.Command.Command.ToString(), e);
            result = Reply.Error("ERR internal error while applying the command");
        }

        if (result is null)
            Suspend(current with { Slice = current.Slice + 1, Written = _store.SuspendedScriptWritten });
        else
        {
            Suspend(null);
            // AfterApply on every node (its messages and wake-ups are this node's), not only where a caller waits.
            var reply = AfterApply(current.Command, result);
            current.Complete?.Invoke(reply);
        }

        return !kill || killed ? Reply.Ok : Reply.Error(Unkillable);
    }

    private void Suspend(ScriptSuspension? suspension)
    {
        if (suspension is null)
        {
            // Not idle yet: the deferred commands apply first (Process completes _idle after Drain).
            Volatile.Write(ref _suspension, null);
        }
        else
        {
            // A script deferred behind another one that suspends as the first ends (Drain) continues the same busy
            // stretch: readers already waiting for idle keep waiting for its end, on the same signal (a new one left
            // theirs never completed: they waited until their timeout).
            if (_suspension is null && Volatile.Read(ref _idle) is not { Task.IsCompleted: false })
                Volatile.Write(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Write(ref _suspension, suspension);
        }

        SuspensionChanged?.Invoke();
    }

    /// <summary>
    /// Forgets a suspended script and the commands deferred behind it when the state is replaced (a snapshot installed
    /// from the leader, which was taken when no script was suspended): their callers learn an unknown outcome.
    /// The caller holds the write lock.
    /// </summary>
    private void DropSuspension()
    {
        if (_suspension is not { } current)
            return;
        current.Complete?.Invoke(Reply.Error(Execution.CommandExecutor.UnknownOutcome));
        while (_deferred.TryDequeue(out var deferred))
            deferred.Complete?.Invoke(Reply.Error(deferred.Read is null ? Execution.CommandExecutor.UnknownOutcome : Execution.CommandExecutor.ReadFailed));
        Suspend(null);
        Volatile.Read(ref _idle)?.TrySetResult();
    }

    private static bool Names(LogCommand decision, ScriptSuspension suspension) =>
        decision.Arguments.Length == 3
        && long.TryParse(decision.Arguments[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index == suspension.Index
        && int.TryParse(decision.Arguments[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position == suspension.Position
        && int.TryParse(decision.Arguments[2], NumberStyles.None, CultureInfo.InvariantCulture, out var slice) && slice == suspension.Slice;

    /// <summary>The arguments of a decision entry for <paramref name="suspension"/>: its entry index, position and slice.</summary>
    public static byte[][] DecisionArguments(ScriptSuspension suspension) =>
    [
        System.Text.Encoding.ASCII.GetBytes(suspension.Index.ToString(CultureInfo.InvariantCulture)),
        System.Text.Encoding.ASCII.GetBytes(suspension.Position.ToString(CultureInfo.InvariantCulture)),
        System.Text.Encoding.ASCII.GetBytes(suspension.Slice.ToString(CultureInfo.InvariantCulture)),
    ];

    // A deferred command, or (Read set, Command null) a deferred placed read.
    // Target: a deferred write's own reply target (its apply is timed for SLOWLOG as any other's).
    private sealed record DeferredCommand(long Index, int Position, LogCommand? Command, Action<Reply>? Complete, Func<KeyValueStore, Reply>? Read = null,
        Execution.ClientProbe? Probe = null, ReplyTarget? Target = null);
}
