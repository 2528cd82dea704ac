using RaftKV.Chaos.Checkers;

namespace RaftKV.Chaos.Tests;

public class LinearizabilityCheckerTests
{
    private static readonly LinearizabilityChecker s_checker = new(TimeSpan.FromSeconds(10));

    private static HistoryBuilder Register() => new("register");

    [Fact]
    public void SequentialWritesAndReads_AreValid()
    {
        var h = Register()
            .Op(0, "read", "k", result: null)
            .Op(0, "write", "k", 1)
            .Op(1, "read", "k", result: 1)
            .Op(1, "write", "k", 2)
            .Op(0, "read", "k", result: 2);
        Assert.Equal(Verdict.Valid, s_checker.Check(h.Pairs()).Verdict);
    }

    [Fact]
    public void OverlappingReadsDuringAWrite_MaySeeEitherValue()
    {
        var h = Register()
            .Op(0, "write", "k", 1)
            .Invoke(0, "write", "k", 2)
            .Invoke(1, "read", "k")
            .Invoke(2, "read", "k")
            .Ok(1, 2)
            .Ok(2, 1)
            .Ok(0);
        Assert.Equal(Verdict.Valid, s_checker.Check(h.Pairs()).Verdict);
    }

    [Fact]
    public void ReadAfterAReadThatSawTheNewValue_MustNotSeeTheOldOne()
    {
        // Both reads overlap the write of 2, but the second began after the first had seen 2.
        var h = Register()
            .Op(0, "write", "k", 1)
            .Invoke(0, "write", "k", 2)
            .Invoke(1, "read", "k").Ok(1, 2)
            .Invoke(2, "read", "k").Ok(2, 1)
            .Ok(0);
        Assert.Equal(Verdict.Invalid, s_checker.Check(h.Pairs()).Verdict);
    }

    [Fact]
    public void StaleRead_AfterNewerWriteAcknowledged_IsInvalid()
    {
        var h = Register()
            .Op(0, "write", "k", 1)
            .Op(0, "write", "k", 2)
            .Op(1, "read", "k", result: 1);
        var result = s_checker.Check(h.Pairs());
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("not linearizable", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LostWrite_ReadNilAfterAcknowledgedWrite_IsInvalid()
    {
        var h = Register()
            .Op(0, "write", "k", 1)
            .Op(1, "read", "k", result: null, final: true);
        Assert.Equal(Verdict.Invalid, s_checker.Check(h.Pairs()).Verdict);
    }

    [Fact]
    public void ReadOfValueNeverWritten_IsInvalid()
    {
        var h = Register().Op(0, "write", "k", 1).Op(1, "read", "k", result: 7);
        var result = s_checker.Check(h.Pairs());
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("never written", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedWrite_SeenByRead_IsInvalid()
    {
        var h = Register().Invoke(0, "write", "k", 1).Fail(0).Op(1, "read", "k", result: 1);
        Assert.Equal(Verdict.Invalid, s_checker.Check(h.Pairs()).Verdict);
    }

    [Fact]
    public void UnknownWrite_MayTakeEffectLaterOrNever()
    {
        var later = Register().Invoke(0, "write", "k", 1).Info(0).Op(1, "read", "k", result: null).Op(1, "read", "k", result: 1);
        Assert.Equal(Verdict.Valid, s_checker.Check(later.Pairs()).Verdict);
        var never = Register().Invoke(0, "write", "k", 1).Info(0).Op(1, "read", "k", result: null);
        Assert.Equal(Verdict.Valid, s_checker.Check(never.Pairs()).Verdict);
    }

    [Fact]
    public void UnknownWrite_SeenThenUnseen_IsInvalid()
    {
        var h = Register().Invoke(0, "write", "k", 1).Info(0).Op(1, "read", "k", result: 1).Op(1, "read", "k", result: null);
        Assert.Equal(Verdict.Invalid, s_checker.Check(h.Pairs()).Verdict);
    }

    [Fact]
    public void Keys_AreCheckedIndependently()
    {
        var h = Register().Op(0, "write", "a", 1).Op(0, "write", "b", 2).Op(1, "read", "a", result: 1).Op(1, "read", "b", result: 2);
        Assert.Equal(Verdict.Valid, s_checker.Check(h.Pairs()).Verdict);
        var bad = Register().Op(0, "write", "a", 1).Op(0, "write", "b", 2).Op(1, "read", "a", result: 2);
        Assert.Equal(Verdict.Invalid, s_checker.Check(bad.Pairs()).Verdict);
    }

    [Fact]
    public void SearchOverBudget_IsUnknown_NotAHang()
    {
        // Many concurrent unknown writes and a read that fits none: exponential without memoization, and the
        // budget of zero makes the checker give up at its first budget check.
        var h = Register();
        for (var p = 0; p < 40; p++)
            h.Invoke(p, "write", "k", p + 1);
        for (var r = 0; r < 3000; r++)
            h.Op(100, "read", "k", result: (r % 40) + 1);
        for (var p = 0; p < 40; p++)
            h.Info(p);
        var result = new LinearizabilityChecker(TimeSpan.Zero).Check(h.Pairs());
        Assert.Equal(Verdict.Unknown, result.Verdict);
    }
}
