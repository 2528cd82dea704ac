using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Execution;

/// <summary>
/// The leader's half of long scripts (see Raft/KvStateMachine.Scripts.cs): whenever its own apply leaves a script
/// suspended at the end of a slice, it proposes the decision entry for that suspension: ScriptKill when a SCRIPT KILL or
/// FUNCTION KILL is waiting, else ScriptContinue. A new leader finds the suspension in its state and decides in turn;
/// a duplicate decision (from the old leader) names a suspension already decided and changes nothing. The KILL client
/// is answered with the decision's apply: OK, or UNKILLABLE when the script wrote meanwhile.
/// </summary>
internal sealed partial class ScriptDecider(RaftHost raft, WriteBatcher batcher, LeaderClock clock, IOptions<NodeOptions> options,
    ILogger<ScriptDecider> logger) : BackgroundService
{
    public const string NotBusy = "NOTBUSY No scripts in execution right now.";
    public const string BusyEval = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    public const string BusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

    private readonly NodeOptions _options = options.Value;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly Lock _gate = new();
    private readonly List<TaskCompletionSource<Reply>> _kills = [];

    /// <summary>
    /// SCRIPT KILL (<paramref name="eval"/>) or FUNCTION KILL on the leader: NOTBUSY when no script is suspended, the
    /// other kind's BUSY error for a script of the other kind, UNKILLABLE once it wrote; otherwise the next decision kills
    /// it and this answers OK (or UNKILLABLE if it wrote before that decision applied).
    /// </summary>
    public async ValueTask<Reply> KillAsync(bool eval, CancellationToken token)
    {
        if (raft.StateMachine.Suspension is not { } suspension)
            return Reply.Error(NotBusy);
        if (suspension.IsEval != eval)
            return Reply.Error(suspension.IsEval ? BusyEval : BusyFunction);
        if (suspension.Written)
            return Reply.Error(KvStateMachine.Unkillable);
        var answer = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
            _kills.Add(answer);
        Signal();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.CommandTimeoutMs);
        try
        {
            return await answer.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return Reply.Error(CommandExecutor.UnknownOutcome);
        }
    }

    /// <summary>Wakes the decider (a script was suspended or ended); never blocks.</summary>
    public void Signal()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        raft.StateMachine.SuspensionChanged = Signal;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Also polls: a node that becomes leader finds a suspension its predecessor left undecided.
            await _signal.WaitAsync(TimeSpan.FromMilliseconds(200), stoppingToken).ConfigureAwait(false);
            try
            {
                await DecideAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogDecisionFailed(e);
            }
        }
    }

    private async Task DecideAsync(CancellationToken token)
    {
        while (raft.IsStarted && raft.IsLeader && raft.StateMachine.Suspension is { } suspension)
        {
            List<TaskCompletionSource<Reply>> kills;
            lock (_gate)
            {
                kills = [.. _kills];
                _kills.Clear();
            }

            var decision = new LogCommand(kills.Count > 0 ? CommandId.ScriptKill : CommandId.ScriptContinue, clock.Now(), 0,
                KvStateMachine.DecisionArguments(suspension));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.CommandTimeoutMs);
            var reply = await batcher.WriteAsync(decision, timeout.Token).ConfigureAwait(false);
            if (reply is IntegerReply)
            {
                // Stale: that suspension was decided already (a duplicate); the kills wait for the next one.
                lock (_gate)
                    _kills.AddRange(kills);
                continue;
            }

            foreach (var kill in kills)
                kill.TrySetResult(reply);
            if (reply is ErrorReply error && error.Message != KvStateMachine.Unkillable)
            {
                // Not applied (leadership lost, timeout): look again shortly.
                await Task.Delay(50, token).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proposing a decision for a suspended script failed")]
    private partial void LogDecisionFailed(Exception exception);
}
