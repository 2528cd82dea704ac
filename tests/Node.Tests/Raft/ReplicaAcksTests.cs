using System.Net;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Tests.Raft;

/// <summary>
/// What WAIT may count without asking a member again: confirmations at or past the index, kept for one leadership and
/// one member list; one asked for before a membership change is dropped when it arrives after it.
/// </summary>
public sealed class ReplicaAcksTests
{
    private static readonly IPEndPoint A = new(IPAddress.Loopback, 7001);
    private static readonly IPEndPoint B = new(IPAddress.Loopback, 7002);

    [Fact]
    public void Confirmation_CoversItsIndexAndEarlierOnes_ForThatMemberOnly()
    {
        using var leadership = new CancellationTokenSource();
        var acks = new ReplicaAcks();
        acks.Confirm(leadership.Token, acks.Generation(leadership.Token), A, 10);

        Assert.True(acks.Holds(leadership.Token, A, 10));
        Assert.True(acks.Holds(leadership.Token, A, 3));
        Assert.False(acks.Holds(leadership.Token, A, 11));
        Assert.False(acks.Holds(leadership.Token, B, 1));

        // A lower confirmation arriving late does not lower what is known.
        acks.Confirm(leadership.Token, acks.Generation(leadership.Token), A, 5);
        Assert.True(acks.Holds(leadership.Token, A, 10));
    }

    [Fact]
    public void MembershipChange_ForgetsEveryConfirmation_AndDropsOneAskedForBeforeIt()
    {
        using var leadership = new CancellationTokenSource();
        var acks = new ReplicaAcks();
        var before = acks.Generation(leadership.Token);
        acks.Confirm(leadership.Token, before, A, 10);

        acks.Forget();
        Assert.False(acks.Holds(leadership.Token, A, 10));

        // Asked before the change, answered after it: the member may since have been removed and added again.
        acks.Confirm(leadership.Token, before, B, 10);
        Assert.False(acks.Holds(leadership.Token, B, 10));

        acks.Confirm(leadership.Token, acks.Generation(leadership.Token), B, 10);
        Assert.True(acks.Holds(leadership.Token, B, 10));
    }

    [Fact]
    public void NewLeadership_StartsWithNoConfirmations()
    {
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var acks = new ReplicaAcks();
        acks.Confirm(first.Token, acks.Generation(first.Token), A, 10);

        Assert.False(acks.Holds(second.Token, A, 1));
        var generation = acks.Generation(second.Token);
        acks.Confirm(first.Token, generation, A, 10); // a WAIT of the old leadership answered late
        Assert.False(acks.Holds(second.Token, A, 10));
    }
}
