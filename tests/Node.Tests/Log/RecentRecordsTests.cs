using RaftKV.Node.Log;

namespace RaftKV.Node.Tests.Log;

/// <summary>The latest appends held in memory: always the log's tail, within the byte budget, as appended.</summary>
public sealed class RecentRecordsTests
{
    // Appends of 1 to 5 records; after each, what is held is a run of whole appends that ends at the last one, fits in
    // the budget, would not fit with the append before it, and reads back as appended, from its first record and from
    // a later one (nothing, after an append larger than the budget). The oldest appends leave as newer ones come, many times over the length of what is held.
    [Theory]
    [InlineData(600)]
    [InlineData(4096)]
    public void ManyAppends_HoldTheLatestThatFitTheBudget_AndReadBackAsAppended(long budget)
    {
        var recent = new RecentRecords(budget);
        var appends = new List<LogBatch>();
        var next = 1L;
        for (var i = 0; i < 400; i++)
        {
            var batch = NewBatch(next, 1 + i % 5);
            next = batch.LastIndex + 1;
            appends.Add(batch);
            recent.Appended(batch.FirstIndex, batch.Bytes, batch.Offsets);

            var (held, bytes) = (0, 0L);
            while (held < appends.Count && bytes + appends[^(held + 1)].Bytes.Length <= budget)
                bytes += appends[^(++held)].Bytes.Length;
            if (held == 0)
            {
                // An append larger than the budget: nothing is held, and its reads go to the disk.
                Assert.Equal(long.MaxValue, recent.FirstIndex);
                continue;
            }

            Assert.Equal(appends[^held].FirstIndex, recent.FirstIndex);
            AssertReads(recent, recent.FirstIndex, batch.LastIndex);
            AssertReads(recent, Math.Max(recent.FirstIndex, batch.LastIndex - 3), batch.LastIndex);
        }
    }

    [Fact]
    public void DropBefore_LeavesTheAppendsFromTheOneHoldingTheIndex_AndAllOfThemGoWhenNoneIsLeft()
    {
        var recent = new RecentRecords(1 << 20);
        var next = 1L;
        var firsts = new List<long>();
        for (var i = 0; i < 50; i++)
        {
            var batch = NewBatch(next, 3);
            firsts.Add(batch.FirstIndex);
            recent.Appended(batch.FirstIndex, batch.Bytes, batch.Offsets);
            next = batch.LastIndex + 1;
        }

        // Index 62 is in the append from 61: that append stays (its records from 62 are still read), the ones before go.
        for (var upTo = 2L; upTo <= 110; upTo += 12)
        {
            recent.DropBefore(upTo);
            var holding = firsts.Last(first => first <= upTo);
            Assert.Equal(holding, recent.FirstIndex);
            AssertReads(recent, upTo, next - 1);
        }

        recent.DropBefore(next);
        Assert.Equal(long.MaxValue, recent.FirstIndex);
        var after = NewBatch(next, 2);
        recent.Appended(after.FirstIndex, after.Bytes, after.Offsets);
        Assert.Equal(next, recent.FirstIndex);
        AssertReads(recent, next, next + 1);
    }

    [Fact]
    public void AnAppendThatDoesNotFollow_ReplacesWhatIsHeld()
    {
        var recent = new RecentRecords(1 << 20);
        var first = NewBatch(1, 4);
        recent.Appended(first.FirstIndex, first.Bytes, first.Offsets);
        var elsewhere = NewBatch(100, 2);
        recent.Appended(elsewhere.FirstIndex, elsewhere.Bytes, elsewhere.Offsets);
        Assert.Equal(100, recent.FirstIndex);
        AssertReads(recent, 100, 101);
    }

    private static LogBatch NewBatch(long firstIndex, int count)
    {
        var batch = new LogBatch(firstIndex);
        for (var index = firstIndex; index < firstIndex + count; index++)
            batch.Add(1, LogFolder.Payload(index), isConfiguration: index % 10 == 0, commandId: index % 7 == 0 ? (int)index : null);
        return batch;
    }

    private static void AssertReads(RecentRecords recent, long first, long last)
    {
        var records = new List<LogRecord>();
        var bytes = 0L;
        Assert.Equal(last + 1, recent.Read(first, last, records, ref bytes, long.MaxValue, int.MaxValue));
        Assert.Equal(last - first + 1, records.Count);
        LogFolder.AssertRecords(records, first);
    }
}
