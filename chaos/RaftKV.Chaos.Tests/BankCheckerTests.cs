using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Tests;

/// <summary>
/// The bank checker on hand-written histories: group G, accounts G:0..G:2 at 100 each (total 300). Reads list the
/// balances of G:0, G:1, G:2.
/// </summary>
public class BankCheckerTests
{
    private static CheckResult Check(BankHistory h) => new BankChecker().Check(h.Pairs());

    [Fact]
    public void ConservingReads_WithOkUnknownAndFailedTransfers_AreValid_AndOutcomesAreCounted()
    {
        var h = new BankHistory()
            .Read(0, 0, 5, [null, null, null])                       // before the set-up: nothing yet
            .Init(1, 1, 10)
            .Transfer(0, 20, 30, 0, 1, 30, balances: [70, 130])
            .Transfer(1, 25, 9000, 1, 2, 50, OpType.Info)             // unknown: applied or not, atomically
            .Read(2, 40, 50, [70, 80, 150])                           // it applied
            .Transfer(0, 60, 70, 2, 0, 500, OpType.Fail)
            .Read(2, 80, 90, [70, 80, 150])
            .Transfer(0, 100, 110, 0, 2, 200, balances: [-130, 350])  // a plain transfer may overdraw
            .Read(2, 120, 130, [-130, 80, 350], final: true);
        var result = Check(h);
        Assert.True(result.Verdict == Verdict.Valid, result.Reason);
        Assert.Contains("transfer 2 ok, 1 unknown, 1 failed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void GuardedTransfers_CommittedAbortedAndRefused_AreValid()
    {
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Guarded(0, 20, 30, 0, 1, 60, [100, 100])
            .Guarded(1, 25, 35, 0, 2, 60, [100, 100], OpType.Fail, error: BankWorkload.AbortedByWatch)
            .Guarded(3, 26, 36, 1, 2, 5, [100, 100], OpType.Fail, error: BankWorkload.AbortedByWatch)
            .Guarded(1, 40, 50, 0, 2, 60, [40, 100], OpType.Fail, error: BankWorkload.Insufficient)
            .Guarded(2, 55, 65, 1, 2, 10, [160, 100, 150, 110], form: "delta")
            .Read(0, 70, 80, [40, 150, 110], final: true);
        var result = Check(h);
        Assert.True(result.Verdict == Verdict.Valid, result.Reason);
        Assert.Contains("guarded 2 ok, 2 aborted by WATCH, 1 insufficient, 0 unknown, 0 failed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOffTheTotal_IsInvalid_NamingTheReadAndItsSum()
    {
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Transfer(0, 20, 30, 0, 1, 30, balances: [70, 130])
            .Read(1, 40, 50, [70, 130, 90])
            .Read(1, 60, 70, [70, 130, 100], final: true);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("total not conserved", result.Reason, StringComparison.Ordinal);
        Assert.Contains("sums to 290, not 300 (-10", result.Reason, StringComparison.Ordinal);
        Assert.Contains("#4 p1 read", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialTransfer_DebitWithoutCredit_IsInvalid_NamingTheTransfer()
    {
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Transfer(0, 20, 9000, 0, 1, 7, OpType.Info)
            .Read(1, 40, 50, [93, 100, 100]);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("sums to 293, not 300 (-7", result.Reason, StringComparison.Ordinal);
        Assert.Contains("transfer G:0->G:1 7", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LostUpdate_TwoGuardedTransfersCommittingOnOneBalance_IsInvalid()
    {
        // Both read G:0 = 100 and both committed: WATCH did not abort the second, so 60 was created.
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Guarded(0, 20, 40, 0, 1, 60, [100, 100])
            .Guarded(1, 21, 41, 0, 2, 60, [100, 100])
            .Read(2, 50, 60, [40, 160, 160], final: true);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("sums to 360, not 300 (+60", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeBalanceFromAGuardedDebit_IsInvalid()
    {
        // Delta form: both debits of 60 from 100 committed; the second DECRBY answered -20.
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Guarded(0, 20, 40, 0, 1, 60, [100, 100, 40, 160], form: "delta")
            .Guarded(1, 21, 41, 0, 2, 60, [100, 100, -20, 160], form: "delta")
            .Read(2, 50, 60, [-20, 160, 160], final: true);
        var result = Check(h);
        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains(result.Anomalies, a => a.Contains("negative balance -20 of G:0", StringComparison.Ordinal) && a.Contains("guarded(delta) G:0->G:2 60", StringComparison.Ordinal));
        Assert.Contains(result.Anomalies, a => a.Contains("negative balance", StringComparison.Ordinal) && a.Contains("read (final)", StringComparison.Ordinal));
    }

    [Fact]
    public void NegativeBalanceInAConservingRead_OfTheGuardedGroup_IsInvalid()
    {
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Read(1, 50, 60, [-10, 210, 100], final: true);
        Assert.Contains("negative balance", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialSetUp_IsInvalid()
    {
        var h = new BankHistory()
            .Init(0, 0, 9000, OpType.Info)
            .Read(1, 50, 60, [100, null, null]);
        Assert.Contains("partial set-up", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AccountsMissingAfterAnAcknowledgedSetUp_IsInvalid()
    {
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Read(1, 50, 60, [100, 100, 100])
            .Read(1, 70, 80, [null, null, null], final: true);
        Assert.Contains("lost set-up", Check(h).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerRefusingMulti_IsUnknown_NotValid()
    {
        var h = new BankHistory()
            .Init(0, 0, 10, OpType.Fail, error: "MULTI refused: ERR unknown command 'MULTI'")
            .Read(1, 20, 30, [null, null, null])
            .Read(1, 40, 50, [null, null, null], final: true);
        var result = Check(h);
        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.Contains("nothing checked", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedFinalRead_IsUnknown()
    {
        var h = new BankHistory()
            .Init(0, 0, 10)
            .Read(1, 20, 30, [100, 100, 100])
            .Read(1, 40, 50, null, final: true, outcome: OpType.Fail);
        Assert.Contains("no final read succeeded", Check(h).Reason, StringComparison.Ordinal);
    }
}
