using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// The instruments RaftKV records as things happen, on the "RaftKV" meter (exported by the metrics endpoint, see
/// docs/metrics.md): commands by protocol, group commit, write commit time. Observed values (term, indexes, leader
/// changes, keys, connections, memory) are in <see cref="NodeGauges"/>. Names use dots; the Prometheus exporter
/// turns them into <c>raftkv_..._total</c>, <c>_seconds</c> and <c>_bytes</c> from the instrument kind and unit.
/// Command labels are command names from the registry (bounded), never client-sent text.
/// </summary>
internal sealed class NodeMetrics
{
    public const string MeterName = "RaftKV";

    /// <summary>Bucket bounds in seconds: 50 µs up to 10 s (OpenTelemetry's default bounds are meant for milliseconds).</summary>
    private static readonly double[] SecondsBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly int[] CountBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    // Commands and their errors by (command, protocol), observed by the two counters when metrics are collected: a
    // Counter.Add per command cost the RESP loop and the answering applier an OpenTelemetry tag lookup and update each.
    private readonly ConcurrentDictionary<(string Command, string Protocol), Tally> _tallies = new();
    private readonly Histogram<double> _commandDuration;
    private readonly Histogram<int> _entryCommands;
    private readonly Histogram<double> _commitDuration;

    public NodeMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName, Server.ServerInfo.RaftKvVersion);
        Meter.CreateObservableCounter("raftkv.commands", () => Observe(errors: false), null, "Commands run, by command name and protocol (resp, grpc, or forwarded: relayed here by a follower)");
        Meter.CreateObservableCounter("raftkv.command.errors", () => Observe(errors: true), null, "Commands that were run and answered an error, by command name and protocol");
        _commandDuration = Meter.CreateHistogram("raftkv.command.duration", "s", "Time from a command's start to its reply, by command name and protocol",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _entryCommands = Meter.CreateHistogram("raftkv.log.entry.commands", null, "Client commands per log entry this leader proposed (group commit)",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = CountBuckets });
        _commitDuration = Meter.CreateHistogram("raftkv.write.commit.duration", "s", "Time from proposing a log entry to its commit and apply on this leader (one replication round and fsync on a majority)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
    }

    public Meter Meter { get; }

    /// <summary>A command that ran from <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) until now.</summary>
    public void CommandCompleted(string command, string protocol, long startedTimestamp, bool failed) =>
        CommandCompletedAfter(command, protocol, Stopwatch.GetTimestamp() - startedTimestamp, failed);

    /// <summary>As <see cref="CommandCompleted"/>, for a caller that has read the clock already: <paramref name="elapsedTicks"/> in <see cref="Stopwatch"/> ticks.</summary>
    public void CommandCompletedAfter(string command, string protocol, long elapsedTicks, bool failed)
    {
        var tally = _tallies.GetOrAdd((command, protocol), static _ => new Tally());
        Interlocked.Increment(ref tally.Calls);
        if (failed)
            Interlocked.Increment(ref tally.Errors);
        _commandDuration.Record(Stopwatch.GetElapsedTime(0, elapsedTicks).TotalSeconds, new TagList { { "command", command }, { "protocol", protocol } });
    }

    // A series per command and protocol that ran; an error series only once that command answered an error, as the
    // counters the exporter saw before.
    private IEnumerable<Measurement<long>> Observe(bool errors)
    {
        foreach (var ((command, protocol), tally) in _tallies)
        {
            var value = Interlocked.Read(ref errors ? ref tally.Errors : ref tally.Calls);
            if (value > 0)
                yield return new Measurement<long>(value, new KeyValuePair<string, object?>("command", command), new KeyValuePair<string, object?>("protocol", protocol));
        }
    }

    private sealed class Tally
    {
        public long Calls;
        public long Errors;
    }

    /// <summary>One log entry of <paramref name="commands"/> client commands, committed (or not) after <paramref name="startedTimestamp"/>.</summary>
    public void EntryReplicated(int commands, long startedTimestamp)
    {
        _entryCommands.Record(commands);
        _commitDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
    }
}
