using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RaftKV.Node.Diagnostics;

namespace RaftKV.Node.Tests;

/// <summary>
/// The logger DotNext writes through (issue 18: a dead peer cost 2,144 warning stack traces in 90 s): a repeated
/// warning is written once without its stack trace, then summarised at most once per interval with the count of what
/// was held back, so a minute of failures costs a bounded number of lines whatever their rate.
/// </summary>
public sealed class RepeatSummarizingLoggerFactoryTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    [Fact]
    public void AWarningRepeatedEvery100msFor60s_CostsAtMostOneLinePerInterval_AndTheSummariesCountEveryOccurrence()
    {
        var clock = new ManualClock();
        var lines = new Lines();
        using var factory = new RepeatSummarizingLoggerFactory(new LoggerFactory([lines]), clock, Interval);
        var logger = factory.CreateLogger("DotNext.Net.Cluster.Consensus.Raft.RaftCluster");

        const int occurrences = 600;
        for (var i = 0; i < occurrences; i++)
        {
            logger.Log(LogLevel.Warning, new EventId(74), "Member 127.0.0.1:7380 is unavailable", new IOException("Connection refused"), static (s, _) => s);
            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        clock.Advance(Interval);
        var warnings = lines.Entries.Where(static e => e.Level >= LogLevel.Warning).ToList();

        Assert.InRange(warnings.Count, 2, 1 + (60 / 30) + 1);
        Assert.All(warnings, static w => Assert.Null(w.Exception));
        Assert.Contains("Connection refused", warnings[0].Message, StringComparison.Ordinal);
        var summarised = warnings.Skip(1).Sum(static w => long.Parse(w.Message.Split(" repeated ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(occurrences - 1, summarised);
    }

    [Fact]
    public void InformationLines_PassThroughUntouched()
    {
        var clock = new ManualClock();
        var lines = new Lines();
        using var factory = new RepeatSummarizingLoggerFactory(new LoggerFactory([lines]), clock, Interval);
        var logger = factory.CreateLogger("DotNext");

        for (var i = 0; i < 5; i++)
            logger.Log(LogLevel.Information, new EventId(1), "same", null, static (s, _) => s);

        Assert.Equal(5, lines.Entries.Count);
    }

    /// <summary>A clock that moves only when told, and runs its timers' callbacks when their time has come.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly List<Timer> _timers = [];
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by)
        {
            var until = _now + by;
            while (true)
            {
                var next = _timers.Where(static t => t.Due is not null).MinBy(static t => t.Due);
                if (next is null || next.Due > until)
                    break;
                _now = next.Due!.Value;
                next.Due = next.Period > TimeSpan.Zero ? _now + next.Period : null;
                next.Callback(next.State);
            }

            _now = until;
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new Timer(callback, state) { Due = _now + dueTime, Period = period };
            _timers.Add(timer);
            return timer;
        }

        private sealed class Timer(TimerCallback callback, object? state) : ITimer
        {
            public TimerCallback Callback { get; } = callback;

            public object? State { get; } = state;

            public DateTimeOffset? Due { get; set; }

            public TimeSpan Period { get; set; }

            public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException();

            public void Dispose() => Due = null;

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }

    private sealed class Lines : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> _entries = new();

        public IReadOnlyList<(LogLevel Level, string Message, Exception? Exception)> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => new Logger(_entries);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(LogLevel, string, Exception?)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => entries.Enqueue((logLevel, formatter(state, exception), exception));
        }
    }
}
