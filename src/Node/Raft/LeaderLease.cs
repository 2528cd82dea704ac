using System.Diagnostics;

namespace RaftKV.Node.Raft;

/// <summary>
/// The leader lease from RaftKV's own records, through DotNext's public API only: the lease runs from the start of
/// the latest replication round that a majority acknowledged in this leadership, for <see cref="Duration"/>.
/// <para>
/// A round counts when it is proven to have started after a moment this class recorded (<see cref="Begin"/>): DotNext's
/// <c>ForceReplicationAsync</c> completes only after a round that began after the call reached a majority (a round
/// without one ends the leadership and fails the call with <c>NotLeaderException</c>), and a write committed by
/// <c>ReplicateAsync</c> reached a majority in requests that carried it, all sent after it was appended. Every follower
/// that answered such a request refuses to vote until its own election timeout (at least ElectionTimeoutMinMs) has
/// passed since it received it, so no other leader can be elected before <c>begin + ElectionTimeoutMinMs</c>; the
/// lease ends earlier, at <c>begin + ElectionTimeoutMinMs / drift bound</c>. A round confirmed after the leadership it
/// began in ended counts for nothing.
/// </para>
/// </summary>
internal sealed class LeaderLease(TimeSpan duration)
{
    private sealed record Acknowledged(CancellationToken Leadership, long StartedAt);

    private Acknowledged? _latest;

    /// <summary>How long a lease lasts after the start of a round a majority acknowledged.</summary>
    public TimeSpan Duration { get; } = duration;

    /// <summary>A moment before a round, and the leadership it belongs to; confirm it once the round reached a majority.</summary>
    public readonly record struct Round(CancellationToken Leadership, long StartedAt);

    public static Round Begin(CancellationToken leadership) => new(leadership, Stopwatch.GetTimestamp());

    /// <summary>Records that a majority acknowledged a round started after <paramref name="round"/> began.</summary>
    public void Confirm(Round round)
    {
        if (round.Leadership.IsCancellationRequested)
            return;
        var next = new Acknowledged(round.Leadership, round.StartedAt);
        for (var current = Volatile.Read(ref _latest); ; )
        {
            if (current is not null && current.Leadership == round.Leadership && current.StartedAt >= round.StartedAt)
                return;
            var seen = Interlocked.CompareExchange(ref _latest, next, current);
            if (ReferenceEquals(seen, current))
                return;
            current = seen;
        }
    }

    /// <summary>
    /// Time since the start of the latest round a majority acknowledged in <paramref name="leadership"/> (the
    /// current leadership's token), or null when none did or that leadership ended.
    /// </summary>
    public TimeSpan? SinceAcknowledged(CancellationToken leadership)
    {
        var latest = Volatile.Read(ref _latest);
        if (latest is null || latest.Leadership != leadership || leadership.IsCancellationRequested)
            return null;
        return Stopwatch.GetElapsedTime(latest.StartedAt);
    }

    /// <summary>True while <paramref name="leadership"/> is current and its latest acknowledged round began less than <see cref="Duration"/> ago.</summary>
    public bool IsHeld(CancellationToken leadership) => SinceAcknowledged(leadership) is { } since && since < Duration;
}
