using RaftKV.Chaos.Checkers;

namespace RaftKV.Chaos.Tests;

public class CounterAndSetCheckerTests
{
    private static CheckResult Counter(HistoryBuilder h) => new CounterChecker().Check(h.Pairs());

    private static CheckResult Set(HistoryBuilder h) => new SetChecker().Check(h.Pairs());

    [Fact]
    public void Counter_WithinBounds_IsValid()
    {
        var h = new HistoryBuilder("counter")
            .Op(0, "incr", "c", 2, result: 2)
            .Invoke(1, "incr", "c", 3).Info(1)
            .Op(0, "read", "c", result: 2)
            .Op(0, "read", "c", result: 5, final: true);
        Assert.Equal(Verdict.Valid, Counter(h).Verdict);
    }

    [Fact]
    public void Counter_BelowAcknowledged_IsInvalid()
    {
        var h = new HistoryBuilder("counter").Op(0, "incr", "c", 2, result: 2).Op(0, "incr", "c", 3, result: 5).Op(1, "read", "c", result: 2);
        Assert.Contains("below", Counter(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_AboveEverythingAttempted_IsInvalid()
    {
        var h = new HistoryBuilder("counter").Op(0, "incr", "c", 2, result: 2).Op(1, "read", "c", result: 4);
        Assert.Contains("above", Counter(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Counter_FailedIncrementCounted_IsInvalid()
    {
        var h = new HistoryBuilder("counter").Invoke(0, "incr", "c", 2).Fail(0).Op(1, "read", "c", result: 2);
        Assert.Equal(Verdict.Invalid, Counter(h).Verdict);
    }

    [Fact]
    public void Counter_ReadGoingDown_IsInvalid()
    {
        var h = new HistoryBuilder("counter")
            .Invoke(0, "incr", "c", 2).Info(0)
            .Op(1, "read", "c", result: 2)
            .Op(1, "read", "c", result: 0);
        Assert.Contains("stale read", Counter(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_ReadsHoldingAcknowledgedAdds_AreValid()
    {
        var h = new HistoryBuilder("set")
            .Op(0, "add", "s", 1, result: 1)
            .Invoke(1, "add", "s", 2).Info(1)
            .Op(0, "read", "s", values: [1])
            .Op(0, "read", "s", values: [2, 1], final: true);
        Assert.Equal(Verdict.Valid, Set(h).Verdict);
    }

    [Fact]
    public void Set_LostAdd_IsInvalid()
    {
        var h = new HistoryBuilder("set").Op(0, "add", "s", 1, result: 1).Op(0, "add", "s", 2, result: 1).Op(1, "read", "s", values: [1], final: true);
        Assert.Contains("lost write", Set(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_MemberNeverAdded_IsInvalid()
    {
        var h = new HistoryBuilder("set").Op(0, "add", "s", 1, result: 1).Op(1, "read", "s", values: [1, 5]);
        Assert.Contains("never added", Set(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_AddReplyingZero_MeansAppliedTwice_IsInvalid()
    {
        var h = new HistoryBuilder("set").Op(0, "add", "s", 1, result: 0).Op(1, "read", "s", values: [1]);
        Assert.Contains("replied 0", Set(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Set_ReadLosingMemberSeenEarlier_IsInvalid()
    {
        var h = new HistoryBuilder("set").Invoke(0, "add", "s", 1).Info(0).Op(1, "read", "s", values: [1]).Op(2, "read", "s", values: []);
        Assert.Contains("stale read", Set(h).Reason, StringComparison.Ordinal);
    }
}
