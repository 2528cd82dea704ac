using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Where a running process's garbage collections spend their pauses, from the runtime's own GC events (EventPipe):
// per collection its generation and reason, the pause, the time marking took by root kind (stacks, handles, the old
// generation's cards...), the time after marking (plan, relocate, compact or sweep), and what survived.
// Usage: dotnet run -c Release --project scripts/gc-pauses -- PID [seconds=10]
//   e.g. beside `redis-benchmark -p <leader port> -t set -n 300000 -r 100000 -c 50 -P 16`, PID the leader's
//   (`pgrep -f "RespEndpoint=127.0.0.1:<port> "`).
if (args.Length < 1 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var pid))
{
    Console.Error.WriteLine("usage: RaftKV.GcPauses PID [seconds=10]");
    return 2;
}

var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var client = new DiagnosticsClient(pid);
EventPipeProvider[] providers = [new("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC)];
using var session = TryStart(client, providers);
if (session is null)
{
    Console.Error.WriteLine($"no .NET process accepting diagnostics at pid {pid}");
    return 1;
}

using var source = new EventPipeEventSource(session.EventStream);

string[] rootKinds = ["stack", "finalize-queue", "handles", "cards", "sized-ref", "overflow", "dependent", "new-finalize-queue"];
double? suspendStart = null;
double gcStart = 0, lastMark = 0, gcEnd = 0;
var gen = -1;
var open = false; // a GCStart seen since the last GCHeapStats (a collection begun before the session reports none)
var reason = "";
var marks = new List<string>();
var markMs = 0.0;
var pauses = new List<double>();
double markTotal = 0, afterMarkTotal = 0;

source.Clr.GCSuspendEEStart += e => suspendStart = e.TimeStampRelativeMSec;
source.Clr.GCStart += e =>
{
    gcStart = lastMark = e.TimeStampRelativeMSec;
    gen = e.Depth;
    open = true;
    reason = e.Reason.ToString();
    marks.Clear();
    markMs = 0;
};
source.Clr.GCMarkWithType += e =>
{
    var kind = (int)e.Type;
    var ms = e.TimeStampRelativeMSec - lastMark;
    markMs += ms;
    if (ms >= 0.05 || e.Promoted > 0)
        marks.Add(FormattableString.Invariant($"{(kind < rootKinds.Length ? rootKinds[kind] : kind.ToString(CultureInfo.InvariantCulture))} {ms:F1} ms/{e.Promoted / 1024} KB"));
    lastMark = e.TimeStampRelativeMSec;
};
source.Clr.GCStop += e => gcEnd = e.TimeStampRelativeMSec;
source.Clr.GCHeapStats += e =>
{
    if (!open)
        return;
    open = false;
    var after = gcEnd - lastMark;
    afterMarkTotal += after;
    markTotal += markMs;
    Console.WriteLine(FormattableString.Invariant(
        $"gen{gen} {reason,-16} collection {gcEnd - gcStart,6:F1} ms: marking {markMs,5:F1} ms, after marking {after,5:F1} ms; promoted {(e.TotalPromotedSize0 + e.TotalPromotedSize1) / 1024} KB; gen1 {e.GenerationSize1 / 1048576} MB, gen2 {e.GenerationSize2 / 1048576} MB, LOH {e.GenerationSize3 / 1048576} MB | {string.Join(", ", marks)}"));
};
source.Clr.GCRestartEEStop += e =>
{
    if (suspendStart is { } start)
        pauses.Add(e.TimeStampRelativeMSec - start);
    suspendStart = null;
};

var reading = Task.Run(source.Process);
await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
session.Stop();
await reading.ConfigureAwait(false);

if (pauses.Count == 0)
{
    Console.WriteLine($"no collection in {seconds} s");
    return 0;
}

Console.WriteLine(FormattableString.Invariant(
    $"{pauses.Count} pauses in {seconds} s: total {pauses.Sum():F1} ms, mean {pauses.Average():F1} ms, longest {pauses.Max():F1} ms; marking {markTotal:F1} ms, after marking {afterMarkTotal:F1} ms"));
return 0;

// The session, or null when no .NET process with a diagnostics port has that pid.
static EventPipeSession? TryStart(DiagnosticsClient client, EventPipeProvider[] providers)
{
    try
    {
        return client.StartEventPipeSession(providers, requestRundown: false);
    }
    catch (ServerNotAvailableException)
    {
        return null;
    }
}
