using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// Re-records two of DotNext's own measurements (public <see cref="System.Diagnostics.Metrics"/> instruments) under
/// RaftKV's names and in seconds: the leader's replication round (broadcast-time) and transitions to candidate
/// (elections this node started); and the log's fdatasync (<see cref="Log.DataSync"/>). DotNext's meters
/// are process-wide: with several nodes in one process (tests) each node's endpoint reports all of them. Created before
/// the host starts (<see cref="DiagnosticsEndpoint.MapNodeDiagnostics"/>), so it hears the node's first election; the
/// election count is kept here and read at each scrape, so it holds elections from before the exporter existed.
/// </summary>
internal sealed class DotNextMeterBridge : IDisposable
{
    private static readonly double[] SecondsBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly Histogram<double> _round;
    private readonly Histogram<double> _flush;
    private long _elections;

    public DotNextMeterBridge(NodeMetrics metrics)
    {
        var meter = metrics.Meter;
        _round = meter.CreateHistogram("raftkv.replication.round.duration", "s", "Leader: time of one replication round to all members (DotNext broadcast-time)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _flush = meter.CreateHistogram("raftkv.log.fsync.duration", "s", "Time of one fdatasync of the write-ahead log",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        meter.CreateObservableCounter("raftkv.elections", () => Interlocked.Read(ref _elections), null, "Elections this node started (transitions to candidate)");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((instrument.Meter.Name.StartsWith("DotNext.", StringComparison.Ordinal)
                    && instrument.Name is "broadcast-time" or "transitions-to-candidate-count")
                || (instrument.Meter.Name == Log.DataSync.MeterName && instrument.Name == Log.DataSync.FlushInstrument))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Record(instrument, value));
        _listener.SetMeasurementEventCallback<float>((instrument, value, _, _) => Record(instrument, value));
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(instrument, value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Record(instrument, value));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value)
    {
        switch (instrument.Name)
        {
            case "broadcast-time":
                _round.Record(Seconds(instrument, value));
                break;
            case Log.DataSync.FlushInstrument:
                _flush.Record(Seconds(instrument, value));
                break;
            case "transitions-to-candidate-count":
                Interlocked.Add(ref _elections, (long)value);
                break;
        }
    }

    // DotNext states its durations in milliseconds; a unit of seconds is taken as it is.
    private static double Seconds(Instrument instrument, double value) => instrument.Unit is "s" ? value : value / 1000.0;

    public void Dispose() => _listener.Dispose();
}
