using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.Raft;

/// <summary>
/// A script suspended at the end of a slice (see KvStateMachine.Scripts.cs): the entry (index, position in a Batch) that
/// started it and the slice it stopped after, which a decision entry names; whether it came from EVAL/EVALSHA or FCALL
/// and whether it has written (replicated facts); and, for this node only, when its apply began here (Stopwatch
/// timestamp) and the busy-reply-threshold in force then, for the BUSY replies.
/// </summary>
internal sealed record ScriptSuspension(
    long Index,
    int Position,
    int Slice,
    bool IsEval,
    bool Written,
    long StartedTimestamp,
    long BusyThresholdMs,
    LogCommand Command,
    Action<Reply>? Complete)
{
    /// <summary>True once the script has run longer than busy-reply-threshold on this node.</summary>
    public bool IsBusy => System.Diagnostics.Stopwatch.GetElapsedTime(StartedTimestamp).TotalMilliseconds >= BusyThresholdMs;
}
