using System.Diagnostics;
using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Log;

// Append throughput of the log storage: batches of N entries, each batch one append that returns when it is durable.
// Prints figures only (no thresholds). Usage:
//   dotnet run -c Release --project scripts/bench-log -- [entries=20000] [batch sizes=1,8,64,256] [payload bytes=100] [folder=$TMPDIR] [dotnext|dotnext-only]
// With `dotnext` (or `dotnext-only`), DotNext 6.12's WriteAheadLog is measured the same way (append the batch, then FlushAsync) for
// comparison. Count the sync calls with strace:
//   strace -f -c -e trace=fsync,fdatasync,msync,pwrite64,pwritev,write dotnet scripts/bench-log/bin/Release/net10.0/RaftKV.BenchLog.dll ...
var entries = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var batchSizes = (args.Length > 1 ? args[1] : "1,8,64,256").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var payloadBytes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
var root = args.Length > 3 ? args[3] : Path.GetTempPath();
var ours = !args.Contains("dotnext-only");
var dotNext = args.Contains("dotnext") || !ours;
var payload = new byte[payloadBytes];
Random.Shared.NextBytes(payload);

Console.WriteLine($"{entries} entries of {payloadBytes} bytes per run, folder {root}");
Console.WriteLine("log       batch  appends/s  entries/s   MB/s  p50 ms  p99 ms  max ms  fdatasync/append  folder fsyncs");
foreach (var batchSize in batchSizes)
{
    if (ours)
        RunOurs(batchSize);
    if (dotNext)
        await RunDotNextAsync(batchSize);
}

void RunOurs(int batchSize)
{
    var folder = Directory.CreateDirectory(Path.Combine(root, "raftkv-bench-log-" + Guid.NewGuid().ToString("N")));
    try
    {
        using var log = SegmentedLog.Open(folder.FullName);
        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        for (var written = 0; written < entries; written += batchSize)
        {
            var batch = log.NewBatch();
            for (var i = 0; i < batchSize; i++)
                batch.Add(1, payload);
            var started = Stopwatch.GetTimestamp();
            log.Append(batch);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        Print("raftkv", batchSize, total.Elapsed, latencies, (double)log.Syncs / latencies.Count, log.FolderSyncs.ToString(CultureInfo.InvariantCulture));
        log.Dispose();
        var reopening = Stopwatch.StartNew();
        using var reopened = SegmentedLog.Open(folder.FullName);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"          reopened {reopened.LastIndex} entries in {reopened.SegmentCount} segments in {reopening.Elapsed.TotalMilliseconds:F0} ms (every checksum verified)"));
    }
    finally
    {
        folder.Delete(recursive: true);
    }
}

async Task RunDotNextAsync(int batchSize)
{
    var folder = Directory.CreateDirectory(Path.Combine(root, "raftkv-bench-dotnext-" + Guid.NewGuid().ToString("N")));
    try
    {
        await using var wal = new WriteAheadLog(
            new WriteAheadLog.Options { Location = folder.FullName, ChunkSize = 64 << 20, HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64 },
            IStateMachine.CreateNoOp(long.MaxValue));
        IPersistentState state = wal;
        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        for (var written = 0; written < entries; written += batchSize)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < batchSize; i++)
                await state.AppendAsync(new BinaryLogEntry { Content = payload, Term = 1 });
            await wal.FlushAsync();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        Print("dotnext", batchSize, total.Elapsed, latencies, double.NaN, "-");
    }
    finally
    {
        folder.Delete(recursive: true);
    }
}

void Print(string name, int batchSize, TimeSpan elapsed, List<double> latencies, double syncsPerAppend, string folderSyncs)
{
    latencies.Sort();
    var count = latencies.Count * batchSize;
    double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-9} {batchSize,5} {latencies.Count / elapsed.TotalSeconds,10:F0} {count / elapsed.TotalSeconds,10:F0} {count * (double)payloadBytes / elapsed.TotalSeconds / 1e6,6:F1} {Percentile(0.5),7:F2} {Percentile(0.99),7:F2} {latencies[^1],7:F2} {(double.IsNaN(syncsPerAppend) ? "(strace)" : syncsPerAppend.ToString("F2", CultureInfo.InvariantCulture)),17} {folderSyncs,14}"));
}
