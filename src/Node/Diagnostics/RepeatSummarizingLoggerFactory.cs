using System.Collections.Concurrent;
using System.Globalization;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// The logger factory DotNext gets. DotNext logs each failed request to an unreachable member as a warning with a full
/// stack trace, several a second for as long as the member is down (2,144 of them in 90 s in issue 18). Here an event
/// (category and event id) is written once, with its exception's type and message but no stack trace; further
/// occurrences within <see cref="Interval"/> of the previous one are only counted, and once per interval a summary line
/// says how many there were, the first and last time, and the last message. So each kind of repeated event costs at
/// most one line per interval. Events below Warning pass through untouched. The stack trace still goes to the Debug
/// level of the same category, for whoever needs it.
/// </summary>
internal sealed partial class RepeatSummarizingLoggerFactory : ILoggerFactory
{
    private const int MaxTrackedEvents = 512;
    private readonly ILoggerFactory _inner;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(string Category, int EventId), Repeats> _events = new();
    private readonly ITimer _timer;
    private readonly ILogger _summaries;

    public RepeatSummarizingLoggerFactory(ILoggerFactory inner, TimeProvider clock, TimeSpan interval)
    {
        _inner = inner;
        _clock = clock;
        Interval = interval;
        _summaries = inner.CreateLogger("RaftKV.Node.Diagnostics.RepeatedEvents");
        _timer = clock.CreateTimer(static state => ((RepeatSummarizingLoggerFactory)state!).Summarize(), this, interval, interval);
    }

    /// <summary>The longest a repeated event goes without a line while it keeps happening.</summary>
    public TimeSpan Interval { get; }

    public ILogger CreateLogger(string categoryName) => new SummarizingLogger(this, categoryName, _inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    public void Dispose() => _timer.Dispose();

    /// <summary>Whether an occurrence of the event is to be written (the first after a quiet interval) or only counted.</summary>
    private bool ShouldWrite(string category, EventId eventId, string message)
    {
        if (_events.Count >= MaxTrackedEvents && !_events.ContainsKey((category, eventId.Id)))
            return true;
        var now = _clock.GetUtcNow();
        var repeats = _events.GetOrAdd((category, eventId.Id), static _ => new Repeats());
        lock (repeats)
        {
            var quiet = repeats.LastSeen is not { } last || now - last > Interval;
            repeats.LastSeen = now;
            if (quiet)
                return true;
            repeats.Suppressed++;
            repeats.FirstSuppressed ??= now;
            repeats.LastMessage = message;
            return false;
        }
    }

    private void Summarize()
    {
        var now = _clock.GetUtcNow();
        foreach (var ((category, eventId), repeats) in _events)
        {
            long count;
            DateTimeOffset first;
            DateTimeOffset last;
            string message;
            lock (repeats)
            {
                if (repeats.Suppressed == 0)
                {
                    if (repeats.LastSeen is { } seen && now - seen > Interval)
                        _events.TryRemove((category, eventId), out _);
                    continue;
                }

                (count, first, last, message) = (repeats.Suppressed, repeats.FirstSuppressed!.Value, repeats.LastSeen!.Value, repeats.LastMessage ?? "");
                repeats.Suppressed = 0;
                repeats.FirstSuppressed = null;
            }

            LogRepeated(category, eventId, count, first.ToString("O", CultureInfo.InvariantCulture), last.ToString("O", CultureInfo.InvariantCulture), message);
        }
    }

    [LoggerMessage(EventId = 1800, Level = LogLevel.Warning, Message = "{Category}[{EventId}] repeated {Count} more times from {First} to {Last}; last: {Message}")]
    private partial void LogRepeated(string category, int eventId, long count, string first, string last, string message);

    private sealed class Repeats
    {
        public DateTimeOffset? LastSeen;
        public DateTimeOffset? FirstSuppressed;
        public long Suppressed;
        public string? LastMessage;
    }

    private sealed class SummarizingLogger(RepeatSummarizingLoggerFactory factory, string category, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning || !inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
                message += $" ({exception.GetType().Name}: {exception.Message})";
            if (!factory.ShouldWrite(category, eventId, message))
                return;
            inner.Log(logLevel, eventId, message, null, static (text, _) => text);
            if (exception is not null && inner.IsEnabled(LogLevel.Debug))
                inner.Log(LogLevel.Debug, eventId, message, exception, static (text, _) => text);
        }
    }
}
