using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// Redis's latency monitor on this node: with latency-monitor-threshold (milliseconds, replicated; 0: off) set, an event
/// that lasts at least that long is sampled under its name: "command" and "fast-command" (a command of this node's
/// clients, timed as SLOWLOG times it), "expire-cycle" (a cycle of the leader's expiry sweeps). Each event keeps its
/// last 160 samples, one per second (two in the same second keep the longer), and its all-time maximum. LATENCY LATEST,
/// HISTORY, RESET, GRAPH and DOCTOR read them.
/// </summary>
internal sealed class LatencyMonitor
{
    private const int HistoryLength = 160;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, Series> _events = new(StringComparer.Ordinal);

    private sealed class Series
    {
        public readonly (long Time, long Ms)[] Samples = new (long, long)[HistoryLength];
        public int Next;
        public int Count;
        public long Max;

        public IEnumerable<(long Time, long Ms)> Oldest()
        {
            for (var i = 0; i < Count; i++)
                yield return Samples[(Next - Count + i + HistoryLength) % HistoryLength];
        }

        public (long Time, long Ms) Last => Samples[(Next - 1 + HistoryLength) % HistoryLength];
    }

    /// <summary>Samples <paramref name="name"/> if it lasted at least <paramref name="thresholdMs"/> (0 or less: monitoring off).</summary>
    public void Sample(string name, long ms, long thresholdMs)
    {
        if (thresholdMs <= 0 || ms < thresholdMs)
            return;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        lock (_lock)
        {
            if (!_events.TryGetValue(name, out var series))
                _events[name] = series = new Series();
            if (series.Count > 0 && series.Last.Time == now)
            {
                var last = (series.Next - 1 + HistoryLength) % HistoryLength;
                series.Samples[last].Ms = Math.Max(series.Samples[last].Ms, ms);
            }
            else
            {
                series.Samples[series.Next] = (now, ms);
                series.Next = (series.Next + 1) % HistoryLength;
                series.Count = Math.Min(series.Count + 1, HistoryLength);
            }

            series.Max = Math.Max(series.Max, ms);
        }
    }

    /// <summary>LATENCY LATEST: for each event, its name, the time and duration of its last sample, and its maximum.</summary>
    public Reply Latest()
    {
        lock (_lock)
        {
            return new ArrayReply(_events.Select(static pair => (Reply)new ArrayReply([
                Reply.Bulk(Encoding.UTF8.GetBytes(pair.Key)), Reply.Integer(pair.Value.Last.Time), Reply.Integer(pair.Value.Last.Ms), Reply.Integer(pair.Value.Max),
            ])).ToList());
        }
    }

    /// <summary>LATENCY HISTORY: the event's samples, oldest first, each its time and duration (empty for an unknown event).</summary>
    public Reply History(string name)
    {
        lock (_lock)
        {
            if (!_events.TryGetValue(name, out var series))
                return Reply.EmptyArray;
            return new ArrayReply(series.Oldest().Select(static s => (Reply)new ArrayReply([Reply.Integer(s.Time), Reply.Integer(s.Ms)])).ToList());
        }
    }

    /// <summary>LATENCY RESET: forgets the named events (all without names); how many it forgot.</summary>
    public int Reset(IReadOnlyList<string> names)
    {
        lock (_lock)
        {
            if (names.Count == 0)
            {
                var all = _events.Count;
                _events.Clear();
                return all;
            }

            // Without case, as Redis's latencyResetEvent (LATENCY RESET COMMAND resets "command").
            var named = _events.Keys.Where(key => names.Contains(key, StringComparer.OrdinalIgnoreCase)).ToList();
            foreach (var key in named)
                _events.Remove(key);
            return named.Count;
        }
    }

    /// <summary>
    /// LATENCY GRAPH: the event's samples as a column chart, oldest on the left, each column as tall as its duration
    /// against the highest shown, with how long ago it was under it; null when the event has no samples.
    /// </summary>
    public string? Graph(string name)
    {
        lock (_lock)
        {
            if (!_events.TryGetValue(name, out var series) || series.Count == 0)
                return null;
            var samples = series.Oldest().ToList();
            var high = samples.Max(static s => s.Ms);
            var low = samples.Min(static s => s.Ms);
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{name} - high {high} ms, low {low} ms (all time high {series.Max} ms)\n");
            text.Append('-', 80).Append('\n');
            const int Rows = 8;
            for (var row = Rows; row >= 1; row--)
            {
                foreach (var sample in samples)
                    text.Append(sample.Ms * Rows >= (long)row * high ? '#' : (row == 1 ? '_' : ' '));
                text.Append('\n');
            }

            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            text.Append("\nAge of each column, oldest first:");
            foreach (var sample in samples)
                text.Append(' ').Append(Age(now - sample.Time));
            return text.Append('\n').ToString();
        }
    }

    /// <summary>LATENCY DOCTOR: a report of each event's samples in words.</summary>
    public string Doctor(long thresholdMs)
    {
        lock (_lock)
        {
            if (thresholdMs <= 0 && _events.Count == 0)
            {
                return "Latency monitoring is off on this node (latency-monitor-threshold is 0). Turn it on with "
                       + "CONFIG SET latency-monitor-threshold <milliseconds>: events that last at least that long are then recorded.\n";
            }

            if (_events.Count == 0)
                return $"No event of {thresholdMs} ms or more was recorded on this node since it started or since LATENCY RESET.\n";
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Latency events recorded on this node (threshold {thresholdMs} ms):\n\n");
            var index = 1;
            foreach (var (name, series) in _events)
            {
                var samples = series.Oldest().ToList();
                var average = samples.Average(static s => (double)s.Ms);
                var span = samples[^1].Time - samples[0].Time;
                text.Append(CultureInfo.InvariantCulture,
                    $"{index++}. {name}: {samples.Count} sample(s) over {span} s, average {average:0} ms, latest {series.Last.Ms} ms, worst ever {series.Max} ms.\n");
            }

            text.Append("\nOn this node, \"command\" and \"fast-command\" are its clients' commands (a write by its apply), ")
                .Append("\"expire-cycle\" a cycle of the leader's expiry sweeps. SLOWLOG names the commands; INFO raft and the ")
                .Append("metrics endpoint show commit and fsync times.\n");
            return text.ToString();
        }
    }

    private static string Age(long seconds) => seconds switch
    {
        < 60 => seconds.ToString(CultureInfo.InvariantCulture) + "s",
        < 3600 => (seconds / 60).ToString(CultureInfo.InvariantCulture) + "m",
        < 86400 => (seconds / 3600).ToString(CultureInfo.InvariantCulture) + "h",
        _ => (seconds / 86400).ToString(CultureInfo.InvariantCulture) + "d",
    };
}
