using RaftKV.Node.Execution;

namespace RaftKV.Node.Tests;

/// <summary>
/// The leader's clock runs on at the monotonic clock's rate when the wall clock goes back, to the tick: time measured
/// between two of its readings is never shorter than the time that passed.
/// </summary>
public sealed class LeaderClockTests
{
    [Fact]
    public void AfterTheWallClockGoesBack_TimeRunsOn_WithoutLosingTheFractionsOfAMillisecond()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddMilliseconds(1_000_000.99));
        var leader = new LeaderClock(static () => 0, clock);
        var set = leader.Now();
        Assert.Equal(1_000_000, set);

        clock.Advance(TimeSpan.FromMilliseconds(3.5));
        Assert.Equal(1_000_004, leader.Now());

        // The wall clock goes back an hour, then 499.99 ms pass (500 ms since the first reading's moment, 1_000_000.99).
        clock.WallOffset = TimeSpan.FromHours(-1);
        clock.Advance(TimeSpan.FromMilliseconds(496.49));
        Assert.Equal(set + 500, leader.Now());

        clock.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.Equal(set + 1500, leader.Now());
    }

    [Fact]
    public void TheWallClockJumpingForward_OrTheAppliedClockAhead_IsAdopted_AndNeverGoesBack()
    {
        var applied = 0L;
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddMilliseconds(5_000));
        var leader = new LeaderClock(() => applied, clock);
        Assert.Equal(5_000, leader.Now());

        clock.WallOffset = TimeSpan.FromSeconds(20);
        Assert.Equal(25_000, leader.Now());

        applied = 40_000;
        Assert.Equal(40_000, leader.Now());
        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(40_010, leader.Now());

        clock.WallOffset = TimeSpan.Zero;
        applied = 0;
        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(40_020, leader.Now());
    }

    // A wall clock and a monotonic clock that move together when time passes; the wall clock alone can jump.
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _elapsedTicks;

        public TimeSpan WallOffset { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by) => _elapsedTicks += by.Ticks;

        public override long GetTimestamp() => 1_000_000_000 + _elapsedTicks;

        public override DateTimeOffset GetUtcNow() => start + WallOffset + TimeSpan.FromTicks(_elapsedTicks);
    }
}
