using RaftKV.Chaos.Checkers;

namespace RaftKV.Chaos.Tests;

public class ListAppendCheckerTests
{
    private static readonly ListAppendChecker s_checker = new();

    private static HistoryBuilder Lists() => new("list-append");

    private static CheckResult Check(HistoryBuilder h) => s_checker.Check(h.Pairs());

    [Fact]
    public void ReadsOfOneGrowingOrder_AreValid()
    {
        var h = Lists()
            .Op(0, "append", "k", 1, result: 1)
            .Op(1, "read", "k", values: [1])
            .Invoke(0, "append", "k", 2)
            .Invoke(1, "read", "k").Ok(1, values: [1])
            .Ok(0, 2)
            .Invoke(2, "append", "k", 3).Info(2)
            .Op(1, "read", "k", values: [1, 2, 3], final: true);
        Assert.Equal(Verdict.Valid, Check(h).Verdict);
    }

    [Fact]
    public void ReadsThatAreNotPrefixesOfOneOrder_AreInvalid()
    {
        var h = Lists()
            .Invoke(0, "append", "k", 1).Invoke(1, "append", "k", 2).Info(0).Info(1)
            .Op(2, "read", "k", values: [1, 2])
            .Op(3, "read", "k", values: [2, 1]);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("prefix", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateInRead_IsInvalid()
    {
        var h = Lists().Op(0, "append", "k", 1, result: 1).Op(1, "read", "k", values: [1, 1]);
        Assert.Contains("duplicate", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RpushLength_DisagreeingWithTheOrder_IsInvalid()
    {
        // Both appends were told "length 1": one of them was applied to a list the other never saw.
        var h = Lists().Op(0, "append", "k", 1, result: 1).Op(1, "append", "k", 2, result: 1).Op(2, "read", "k", values: [1, 2]);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains(result.Anomalies, a => a.Contains("RPUSH replied length 1", StringComparison.Ordinal));
    }

    [Fact]
    public void ValueNeverAppended_IsInvalid()
    {
        var h = Lists().Op(0, "append", "k", 1, result: 1).Op(1, "read", "k", values: [1, 9]);
        Assert.Contains("never appended", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedAppendVisible_IsInvalid()
    {
        var h = Lists().Invoke(0, "append", "k", 1).Fail(0).Op(1, "read", "k", values: [1]);
        Assert.Contains("failed append", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void StaleRead_MissingAcknowledgedAppend_IsInvalid()
    {
        var h = Lists().Op(0, "append", "k", 1, result: 1).Op(0, "append", "k", 2, result: 2).Op(1, "read", "k", values: [1]);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("stale read", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LostWrite_MissingFromFinalRead_IsInvalid()
    {
        var h = Lists().Op(0, "append", "k", 1, result: 1).Op(0, "append", "k", 2, result: 2).Op(1, "read", "k", values: [1], final: true);
        Assert.Contains("lost write", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ShorterReadAfterLongerRead_IsInvalid()
    {
        var h = Lists()
            .Invoke(0, "append", "k", 1).Invoke(0 + 5, "append", "k", 2).Info(0).Info(5)
            .Op(1, "read", "k", values: [1, 2])
            .Op(2, "read", "k", values: [1]);
        Assert.Contains("stale read", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AppendsOutOfRealTimeOrder_AreInvalid()
    {
        var h = Lists().Op(0, "append", "k", 1).Op(0, "append", "k", 2).Op(1, "read", "k", values: [2, 1]);
        Assert.Equal(Verdict.Invalid, Check(h).Verdict);
    }

    [Fact]
    public void NoSuccessfulFinalRead_IsUnknown()
    {
        var h = Lists().Op(0, "append", "k", 1, result: 1).Invoke(1, "read", "k", final: true).Fail(1);
        Assert.Equal(Verdict.Unknown, Check(h).Verdict);
    }
}
