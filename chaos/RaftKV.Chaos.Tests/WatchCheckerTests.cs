using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Running;

namespace RaftKV.Chaos.Tests;

public class WatchCheckerTests
{
    // Two acknowledged SETs of k, one after the other, a failed one, and the final read.
    private static IReadOnlyList<OpPair> History() => new HistoryBuilder("register")
        .Op(0, "write", "k", 1)
        .Op(0, "write", "k", 2)
        .Invoke(1, "write", "k", 3).Fail(1)
        .Op(0, "read", "k", result: 2, final: true)
        .Pairs();

    private static Watcher.Change Put(long revision, long value, string node = "n1") => new(revision, "k", value.ToString(System.Globalization.CultureInfo.InvariantCulture), false, node);

    private static Verdict Check(params Watcher.Change[] changes) => WatchChecker.Check(History(), changes, gaps: 0, streams: 1, caughtUp: true).Verdict;

    [Fact]
    public void EveryAcknowledgedWriteOnceInOrder_IsValid() => Assert.Equal(Verdict.Valid, Check(Put(1024, 1), Put(2048, 2, "n2")));

    [Fact]
    public void AnAcknowledgedWriteNeverStreamed_IsInvalid() => Assert.Equal(Verdict.Invalid, Check(Put(2048, 2)));

    [Fact]
    public void AWriteStreamedTwice_AfterAResume_IsInvalid() => Assert.Equal(Verdict.Invalid, Check(Put(1024, 1), Put(1024, 1, "n2"), Put(2048, 2)));

    [Fact]
    public void AFailedWriteStreamed_IsInvalid() => Assert.Equal(Verdict.Invalid, Check(Put(1024, 1), Put(2048, 2), Put(3072, 3)));

    [Fact]
    public void WritesStreamedAgainstTheirRealTimeOrder_AreInvalid() => Assert.Equal(Verdict.Invalid, Check(Put(1024, 2), Put(2048, 1)));

    [Fact]
    public void RevisionsGoingBackwards_AreInvalid() => Assert.Equal(Verdict.Invalid, Check(Put(2048, 1), Put(1024, 2)));

    [Fact]
    public void ALastValueOtherThanTheFinalRead_IsInvalid() =>
        Assert.Equal(Verdict.Invalid, WatchChecker.Check(
            new HistoryBuilder("register").Op(0, "write", "k", 1).Op(0, "write", "k", 2).Op(0, "read", "k", result: 1, final: true).Pairs(),
            [Put(1024, 1), Put(2048, 2)], gaps: 0, streams: 1, caughtUp: true).Verdict);

    [Fact]
    public void AWatcherThatNeverCaughtUp_IsUnknown() =>
        Assert.Equal(Verdict.Unknown, WatchChecker.Check(History(), [Put(1024, 1), Put(2048, 2)], gaps: 0, streams: 1, caughtUp: false).Verdict);
}
