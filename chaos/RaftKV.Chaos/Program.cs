using System.Runtime.InteropServices;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.Cluster;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Running;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos;

/// <summary>Entry point: <c>run</c> (the default) or <c>check</c>. Exit code 0 only for VALID.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        RunOptions options;
        try
        {
            if (args.Contains("--help") || args.Contains("-h"))
            {
                Console.WriteLine(RunOptions.Usage);
                return 0;
            }
            options = RunOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(RunOptions.Usage);
            return 3;
        }

        if (args.Length > 0 && args[0] == "check")
            return Check(options);

        using var cancel = new CancellationTokenSource();
        // SIGINT/SIGTERM cancel the run; the run's finally blocks kill the nodes and remove the namespaces.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
        try
        {
            var verdict = await new ChaosRun(options, Console.Out).RunAsync(cancel.Token).ConfigureAwait(false);
            return Summary.ExitCode(verdict);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("UNKNOWN: run interrupted");
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException)
        {
            Console.Error.WriteLine("chaos: " + e.Message);
            Console.WriteLine("UNKNOWN: harness error: " + e.Message);
            return 3;
        }
        finally
        {
            // Belt and braces: nothing of ours survives the harness, whatever happened above.
            PidFile.KillLeftovers();
            if (options.Mode != "loopback")
                NetnsNetwork.RemoveLeftovers();
        }
    }

    private static int Check(RunOptions options)
    {
        if (options.History is null)
        {
            Console.Error.WriteLine("check needs --history FILE");
            return 3;
        }
        var pairs = HistoryLog.Pair(HistoryLog.Load(options.History));
        var results = options.Workloads
            .Select(Workload.Create)
            .Select(w => w.Checker.Check(pairs.Where(p => p.Invoke.Workload == w.Name).ToArray()))
            .ToArray();
        var verdict = CheckResult.Combine(results);
        Console.Write(Summary.Write(null, results, pairs, 0, verdict));
        return Summary.ExitCode(verdict);
    }
}
