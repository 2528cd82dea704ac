using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Tests;

/// <summary>
/// The lock checker on hand-written histories. Leases are 1000 ms from the acquire's invocation unless stated;
/// tokens are whatever the server would have answered.
/// </summary>
public class LockCheckerTests
{
    private static CheckResult Fencing(LockHistory h) => new LockChecker("lock", fencing: true).Check(h.Pairs());

    private static CheckResult RedisWay(LockHistory h) => new LockChecker("redis-lock", fencing: false).Check(h.Pairs());

    [Fact]
    public void HoldersTakingTurns_WithIncreasingTokens_AreValid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10)
            .Write("a", 10, 0, 10, 20).Write("a", 10, 1, 30, 40)
            .Release("a", 50, 60)
            .Acquire("c", 55, 9000, token: null, outcome: OpType.Info)   // unknown: may or may not hold it
            .Acquire("b", 70, 80, token: 20)
            .Write("b", 20, 0, 90, 100)
            .Acquire("d", 1200, 1210, token: 30)                         // after b's lease ran out, unreleased
            .Write("d", 30, 0, 1220, 1230)
            .FinalRead(5000, 5010, "L", "10:a:0", "10:a:1", "20:b:0", "30:d:0");
        var result = Fencing(h);
        Assert.True(result.Verdict == Verdict.Valid, result.Reason);
    }

    [Fact]
    public void SecondHolderGrantedDuringFirstLease_IsInvalid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10)
            .Acquire("b", 200, 210, token: 20)
            .FinalRead(5000, 5010, "L");
        Assert.Contains("two holders at once", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondHolderGrantedAfterAFailedRelease_IsInvalid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10)
            .Release("a", 100, 110, result: null, outcome: OpType.Fail, error: "TRYAGAIN lock leases are being extended")
            .Acquire("b", 200, 210, token: 20)
            .FinalRead(5000, 5010, "L");
        Assert.Contains("two holders at once", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondHolderGrantedAfterAnUnknownAcquire_IsValid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 9000, token: null, outcome: OpType.Info)
            .Acquire("b", 200, 210, token: 20)
            .FinalRead(5000, 5010, "L");
        Assert.Equal(Verdict.Valid, Fencing(h).Verdict);
    }

    [Fact]
    public void GrantCompletingAfterTheLeaseRanOut_IsValid()
    {
        // b was invoked inside a's lease but is only known to be granted (its ok) after it: it may have waited.
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10)
            .Acquire("b", 900, 1100, token: 20)
            .FinalRead(5000, 5010, "L");
        Assert.Equal(Verdict.Valid, Fencing(h).Verdict);
    }

    [Fact]
    public void TokenSmallerThanOneAcknowledgedBefore_IsInvalid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 20)
            .Acquire("b", 1100, 1110, token: 15)
            .FinalRead(5000, 5010, "L");
        Assert.Contains("token not increasing", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SameTokenForTwoOwners_IsInvalid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10, key: "L")
            .Acquire("b", 3000, 3010, token: 10, key: "M")
            .FinalRead(5000, 5010, "L").FinalRead(5000, 5010, "M");
        Assert.Contains("granted to two owners", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReleaseFindingTheLockGoneWithinTheLease_IsInvalid()
    {
        var h = new LockHistory().Acquire("a", 0, 5, token: 10).Release("a", 100, 110, result: 0).FinalRead(5000, 5010, "L");
        Assert.Contains("lease ended early", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReleaseFindingAnotherOwnerWithinTheLease_IsInvalid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10)
            .Release("a", 100, 110, result: null, outcome: OpType.Fail, error: "NOTOWNER lock is held by another owner")
            .FinalRead(5000, 5010, "L");
        Assert.Contains("lease ended early", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void InLeaseWriteAfterALargerToken_IsInvalid()
    {
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10).Write("a", 10, 0, 10, 20)
            .Acquire("b", 1100, 1110, token: 20).Write("b", 20, 0, 1120, 1130)
            .FinalRead(5000, 5010, "L", "20:b:0", "10:a:0");
        Assert.Contains("after a write of a larger token", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LateWriteAfterALargerToken_IsFencedOff_NotAViolation()
    {
        // a sent its write inside its lease but was answered only after it: a fencing resource would reject it.
        var h = new LockHistory()
            .Acquire("a", 0, 5, token: 10).Write("a", 10, 0, 900, 1500)
            .Acquire("b", 1100, 1110, token: 20).Write("b", 20, 0, 1120, 1130)
            .FinalRead(5000, 5010, "L", "20:b:0", "10:a:0");
        var result = Fencing(h);
        Assert.True(result.Verdict == Verdict.Valid, result.Reason);
        Assert.Contains("1 late writes a fencing resource would reject", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AcknowledgedWriteMissingFromTheList_IsInvalid()
    {
        var h = new LockHistory().Acquire("a", 0, 5, token: 10).Write("a", 10, 0, 10, 20).FinalRead(5000, 5010, "L");
        Assert.Contains("lost write", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ElementNeverWritten_IsInvalid()
    {
        var h = new LockHistory().Acquire("a", 0, 5, token: 10).FinalRead(5000, 5010, "L", "10:a:0");
        Assert.Contains("never written", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteSentAfterTheLeaseDeadline_IsInvalid()
    {
        var h = new LockHistory().Acquire("a", 0, 5, token: 10).Write("a", 10, 0, 1010, 1020).FinalRead(5000, 5010, "L", "10:a:0");
        Assert.Contains("outside its holder's lease", Fencing(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFinalRead_IsUnknown()
    {
        var h = new LockHistory().Acquire("a", 0, 5, token: 10).Write("a", 10, 0, 10, 20);
        Assert.Equal(Verdict.Unknown, Fencing(h).Verdict);
    }

    [Fact]
    public void RedisWay_HoldersTakingTurns_AreValid()
    {
        var h = new LockHistory("redis-lock")
            .Acquire("a", 0, 5, token: null).Write("a", null, 0, 10, 20).Write("a", null, 1, 30, 40)
            .Acquire("b", 1100, 1110, token: null).Write("b", null, 0, 1120, 1130)
            .FinalRead(5000, 5010, "L", "a:0", "a:1", "b:0");
        var result = RedisWay(h);
        Assert.True(result.Verdict == Verdict.Valid, result.Reason);
    }

    [Fact]
    public void RedisWay_OverlappingHolders_AreInvalid()
    {
        var h = new LockHistory("redis-lock")
            .Acquire("a", 0, 5, token: null)
            .Acquire("b", 300, 310, token: null)
            .FinalRead(5000, 5010, "L");
        Assert.Contains("two holders at once", RedisWay(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RedisWay_ConcurrentAcquiresWhoseClaimsOverlap_AreInvalidWhateverTheirOrder()
    {
        var h = new LockHistory("redis-lock")
            .Acquire("a", 0, 50, token: null)
            .Acquire("b", 10, 40, token: null)
            .FinalRead(5000, 5010, "L");
        Assert.Contains("either order", RedisWay(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RedisWay_InLeaseWritesInterleaved_AreInvalid()
    {
        var h = new LockHistory("redis-lock")
            .Acquire("a", 0, 5, token: null).Write("a", null, 0, 10, 20).Write("a", null, 1, 800, 900)
            .Acquire("b", 1100, 1110, token: null).Write("b", null, 0, 1120, 1130)
            .FinalRead(5000, 5010, "L", "a:0", "b:0", "a:1");
        Assert.Contains("two holders at once", RedisWay(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Workload_NeverWritesAfterItsLeaseDeadline_AndReleasesInstead()
    {
        var workload = LockWorkload.Fencing();
        var random = new Random(1);
        long unique = 0;
        var acquire = workload.Next(0, 0, random, () => ++unique) with { Type = OpType.Invoke, Time = 0 };
        Assert.Equal("acquire", acquire.F);
        workload.Completed(0, acquire, acquire with { Type = OpType.Ok, Time = 1_000_000, Value = 42 });
        var deadline = acquire.LeaseMs!.Value * 1_000_000;
        Assert.Equal(acquire.TtlMs - LockWorkload.MarginMs, acquire.LeaseMs);

        var write = workload.Next(0, 2_000_000, random, () => ++unique);
        Assert.Equal(("write", 42L), (write.F, write.Value!.Value));
        Assert.StartsWith("42:" + acquire.Owner + ":0", write.Text, StringComparison.Ordinal);
        workload.Completed(0, write, write with { Type = OpType.Ok, Value = 1 });

        Assert.Equal("release", workload.Next(0, deadline - 1, random, () => ++unique).F);
        Assert.Equal(["RPUSH", "fenced:" + acquire.Key, write.Text!], workload.Command(write));
    }
}
