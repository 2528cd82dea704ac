using System.Globalization;
using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Checkers;

/// <summary>
/// One acknowledged acquisition and what its holder did under it. Times are the history's (the client's monotonic
/// clock). The holder's lease, as the client reckons it, runs from the acquire's invocation (before the server can
/// have started it) for <see cref="Op.LeaseMs"/>; its claim ends at that <see cref="Deadline"/> or when it sent a
/// release that may have taken effect.
/// </summary>
internal sealed record LockHold(OpPair Acquire, OpPair? Release, IReadOnlyList<OpPair> Writes)
{
    public string Lock => Acquire.Key;
    public string Owner => Acquire.Invoke.Owner ?? "";

    /// <summary>The fencing token (RAFTKV.LOCK.ACQUIRE's reply); null for the Redis-way lock.</summary>
    public long? Token => Acquire.Result;

    /// <summary>The latest time the lock can have been granted: the acquire's ok.</summary>
    public long Granted => Acquire.End;

    public long Deadline => Acquire.Start + (Acquire.Invoke.LeaseMs ?? 0) * 1_000_000;

    /// <summary>The end of the holder's claim: its deadline, or earlier when it sent a release that may have taken effect (ok 1, or unknown).</summary>
    public long End => Release is { } r && (r.IsInfo || r is { IsOk: true, Result: 1 }) ? Math.Min(Deadline, r.Start) : Deadline;

    public override string ToString() =>
        $"{Owner}{(Token is { } t ? " (token " + t.ToString(CultureInfo.InvariantCulture) + ")" : "")} " +
        $"acquired {Seconds(Acquire.Start)}-{Seconds(Granted)}, lease to {Seconds(Deadline)}" +
        (End < Deadline ? $", released from {Seconds(End)}" : "");

    public static string Seconds(long ns) => (ns / 1e9).ToString("F3", CultureInfo.InvariantCulture) + " s";
}
