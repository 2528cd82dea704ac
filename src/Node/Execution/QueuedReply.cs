using System.Threading.Tasks.Sources;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Execution;

/// <summary>
/// One client's write (<see cref="Command"/>) or placed read (<see cref="Read"/>) in the group commit, and the reply its
/// caller awaits (<see cref="Reply"/>, to be awaited once). One object per command instead of a TaskCompletionSource,
/// a StrongBox, a WaitAsync promise and a linked CancellationTokenSource with its timer: those were about 700 bytes per
/// SET on the leader, and gen0 collections were most of its CPU.
/// <para>
/// The reply is set once, by whichever comes first: the entry's outcome (<see cref="Settle"/>), the caller's token, or
/// the command timeout (<see cref="TimeOut"/>, from <see cref="WriteBatcher"/>'s sweep). Once the entry is committed and
/// its command started (<see cref="MarkApplied"/>: a command deferred behind a long script) neither the token nor the
/// timeout answers any more: the command's own reply comes when it ends, as in Redis. Settled (<see cref="WhenSettled"/>)
/// means the group commit is done with it, whatever answered the caller.
/// </para>
/// </summary>
internal sealed class QueuedReply : IValueTaskSource<Reply>
{
    private ManualResetValueTaskSourceCore<Reply> _core;
    private int _answered;
    private int _applied;
    private int _settled;
    private TaskCompletionSource? _settledSignal;
    private CancellationTokenRegistration _registration;

    public QueuedReply(LogCommand? command, Func<KeyValueStore, Reply>? read, string unknown)
    {
        Command = command;
        Read = read;
        Unknown = unknown;
    }

    public LogCommand? Command { get; }

    public Func<KeyValueStore, Reply>? Read { get; }

    /// <summary>A tracking client's script or EXEC: told at apply what its reads did (<see cref="ClientProbe"/>).</summary>
    public ClientProbe? Probe { get; init; }

    /// <summary>Told how long the command's apply took (SLOWLOG), before the reply is answered; null: nobody asks.</summary>
    public ExecutionTiming? Timing { get; init; }

    /// <summary>The error a timeout or cancellation answers: the outcome is unknown.</summary>
    public string Unknown { get; }

    /// <summary>Stopwatch timestamp after which <see cref="TimeOut"/> answers; long.MaxValue for none.</summary>
    public long Deadline { get; set; } = long.MaxValue;

    public ValueTask<Reply> Reply => new(this, _core.Version);

    public bool IsAnswered => Volatile.Read(ref _answered) != 0;

    /// <summary>Answers <paramref name="token"/>'s cancellation with <see cref="Unknown"/> (unless started by then).</summary>
    public void Register(CancellationToken token)
    {
        if (!token.CanBeCanceled)
            return;
        _registration = token.UnsafeRegister(static state => ((QueuedReply)state!).TimeOut(), this);
        // Answered before the registration was stored: TryAnswer could not remove it.
        if (IsAnswered)
            _registration.Unregister();
    }

    /// <summary>The command timed out or its caller gave up: an unknown outcome, unless it was committed and started.</summary>
    public void TimeOut()
    {
        if (Volatile.Read(ref _applied) == 0)
            TryAnswer(RaftKV.Protocol.Replies.Reply.Error(Unknown));
    }

    /// <summary>Committed and started: only its own reply answers it from now on.</summary>
    public void MarkApplied() => Volatile.Write(ref _applied, 1);

    /// <summary>The group commit's outcome for this command: answers the caller (if nothing did before) and settles it.</summary>
    public void Settle(Reply reply)
    {
        TryAnswer(reply);
        // A full fence before reading the signal: WhenSettled stores the signal and then reads the flag.
        Interlocked.Exchange(ref _settled, 1);
        Volatile.Read(ref _settledSignal)?.TrySetResult();
    }

    /// <summary>Completes once <see cref="Settle"/> ran (allocates only when asked before that).</summary>
    public Task WhenSettled()
    {
        if (Volatile.Read(ref _settled) != 0)
            return Task.CompletedTask;
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var signal = Interlocked.CompareExchange(ref _settledSignal, created, null) ?? created;
        if (Volatile.Read(ref _settled) != 0)
            signal.TrySetResult();
        return signal.Task;
    }

    // Continuations run synchronously (as the TaskCompletionSource before did): see WriteBatcher.
    private bool TryAnswer(Reply reply)
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
            return false;
        _registration.Unregister();
        _core.SetResult(reply);
        return true;
    }

    Reply IValueTaskSource<Reply>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<Reply>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<Reply>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
