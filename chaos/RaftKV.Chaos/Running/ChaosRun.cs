using System.Diagnostics;
using System.Globalization;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.Cluster;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Nemeses;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Running;

/// <summary>
/// One run: hosts and nodes up, clients and nemesis for the duration, final heal, recovery, final reads, digest
/// comparison, teardown, then the checkers and the verdict. Teardown happens on every path, Ctrl-C included.
/// </summary>
internal sealed class ChaosRun(RunOptions options, TextWriter log)
{
    private static readonly TimeSpan s_leaderTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_digestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_finalReadBudget = TimeSpan.FromSeconds(90);
    private const int FinalReadAttempts = 10;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _nextValue;

    public async Task<Verdict> RunAsync(CancellationToken token)
    {
        var network = ChooseNetwork();
        var unsupported = options.Nemeses.Where(n => n.StartsWith("partition", StringComparison.Ordinal)).ToArray();
        if (!network.SupportsPartitions && unsupported.Length > 0)
            throw new ArgumentException($"{string.Join(",", unsupported)} need --mode netns (root and ip netns)");

        var runDir = Path.GetFullPath(Path.Combine(options.Out,
            DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-seed" + options.Seed.ToString(CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(runDir);
        var nodeDll = Path.GetFullPath(options.NodeDll ?? throw new ArgumentException("--node-dll is required"));
        if (!File.Exists(nodeDll))
            throw new ArgumentException($"{nodeDll} not found; build src/Node first");
        log.WriteLine($"chaos: seed {options.Seed}, {options.Nodes} nodes ({network.Name}), workload {string.Join(",", options.Workloads)}, " +
                      $"nemesis {(options.Nemeses.Count > 0 ? string.Join(",", options.Nemeses) : "none")}, {options.Duration.TotalSeconds} s, output {runDir}");

        var workloads = options.Workloads.Select(Workload.Create).ToArray();
        var extra = new[]
        {
            "--RaftKV:CommandTimeoutMs=" + options.CommandTimeoutMs.ToString(CultureInfo.InvariantCulture),
            "--RaftKV:SnapshotIntervalEntries=" + options.SnapshotInterval.ToString(CultureInfo.InvariantCulture),
        };
        var cluster = new ChaosCluster(network, options.Nodes, nodeDll, runDir, extra);
        using var history = new HistoryLog(Path.Combine(runDir, "history.jsonl"), () => (long)(_clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency)));
        var results = new List<CheckResult>();
        int faults;
        Watcher? watcher = null;
        var watchCaughtUp = false;
        try
        {
            PidFile.KillLeftovers();
            network.Setup(options.Nodes);
            cluster.StartAll();
            if (await cluster.WaitForLeaderAsync(s_leaderTimeout, token).ConfigureAwait(false) is null)
                throw new InvalidOperationException($"no leader within {s_leaderTimeout.TotalSeconds} s; see {runDir}/n*/node.log");
            log.WriteLine("chaos: cluster up; running clients and nemesis");

            // The register keys are also watched over gRPC for the whole run (the watch checker).
            using var watchStop = new CancellationTokenSource();
            watcher = workloads.Any(static w => w.Name == "register") ? new Watcher(cluster, "reg:", log) : null;
            var watching = watcher?.RunAsync(watchStop.Token) ?? Task.CompletedTask;

            var deadline = DateTime.UtcNow + options.Duration;
            var nemesis = new Nemesis(cluster, history, options.Nemeses, options.Seed, options.FaultEvery, options.FaultFor);
            var clients = Enumerable.Range(0, options.Clients)
                .Select(c => new ClientWorker(c, options.Clients, cluster.Nodes[c % options.Nodes], workloads, history, NextValue, options)
                    .RunAsync(deadline, token))
                .ToArray();
            var nemesisTask = nemesis.RunAsync(deadline, token);
            await Task.WhenAll(clients.Append(nemesisTask)).ConfigureAwait(false);
            faults = nemesis.Faults;
            token.ThrowIfCancellationRequested();

            log.WriteLine($"chaos: {history.Count} events, {faults} faults; final heal and {options.Recovery.TotalSeconds} s recovery");
            results.Add(CrashCheck(cluster));
            await nemesis.HealAllAsync(token).ConfigureAwait(false);
            await Task.Delay(options.Recovery, token).ConfigureAwait(false);
            await cluster.WaitForLeaderAsync(s_leaderTimeout, token).ConfigureAwait(false);
            results.Add(await FinalReadsAsync(cluster, workloads, history, token).ConfigureAwait(false));
            results.Add(await DigestCheckAsync(cluster, token).ConfigureAwait(false));
            if (watcher is not null)
            {
                // A last write the watcher must see: then everything before it was streamed, or never will be.
                var end = NextValue();
                var leader = await cluster.WaitForLeaderAsync(s_leaderTimeout, token).ConfigureAwait(false);
                var wrote = leader is not null && await ChaosCluster.QueryAsync(leader, ["SET", "reg:watch-end", end.ToString(CultureInfo.InvariantCulture)], token).ConfigureAwait(false) is { IsError: false };
                watchCaughtUp = wrote && await watcher.WaitForAsync("reg:watch-end", end, TimeSpan.FromSeconds(30), token).ConfigureAwait(false);
                await watchStop.CancelAsync().ConfigureAwait(false);
                await watching.ConfigureAwait(false);
            }
            results.Add(CrashCheck(cluster));
        }
        finally
        {
            cluster.Dispose();
        }

        var ops = history.Snapshot();
        var pairs = HistoryLog.Pair(ops);
        foreach (var workload in workloads)
            results.Add(workload.Checker.Check(pairs.Where(p => p.Invoke.Workload == workload.Name).ToArray()));
        if (watcher is not null)
            results.Add(WatchChecker.Check(pairs.Where(static p => p.Invoke.Workload == "register").ToArray(), watcher, watchCaughtUp));
        return Report(runDir, results, pairs, faults);
    }

    private INetwork ChooseNetwork()
    {
        if (options.Mode == "loopback")
            return new LoopbackNetwork();
        if (NetnsNetwork.IsAvailable(out var reason))
            return new NetnsNetwork();
        if (options.Mode == "netns")
            throw new InvalidOperationException("netns mode unavailable: " + reason);
        log.WriteLine($"chaos: netns unavailable ({reason}); using loopback");
        return new LoopbackNetwork();
    }

    private long NextValue() => Interlocked.Increment(ref _nextValue);

    /// <summary>Reads every key once more after the heal (retrying, each attempt in the history, marked final).</summary>
    private async Task<CheckResult> FinalReadsAsync(ChaosCluster cluster, IReadOnlyList<Workload> workloads, HistoryLog history, CancellationToken token)
    {
        var missing = new List<string>();
        var keys = 0;
        var process = 1_000_000;
        // Past the budget, keys go without a final read, which their checker reports as unknown.
        var deadline = DateTime.UtcNow + s_finalReadBudget;
        foreach (var workload in workloads)
        {
            foreach (var key in workload.Keys)
            {
                keys++;
                var read = false;
                for (var attempt = 0; attempt < FinalReadAttempts && DateTime.UtcNow < deadline; attempt++)
                {
                    var node = await cluster.FindLeaderAsync(token).ConfigureAwait(false) ?? cluster.Nodes[attempt % cluster.Nodes.Count];
                    var invoke = history.Append(workload.Read(key, final: true) with { Process = process++, Type = OpType.Invoke, Node = node.Name });
                    var (completion, client) = await OpExecutor.ExecuteAsync(workload, invoke, null, node.Resp, options.OpTimeout, token).ConfigureAwait(false);
                    if (client is not null)
                        await client.DisposeAsync().ConfigureAwait(false);
                    history.Append(completion);
                    if (completion.Type == OpType.Ok)
                    {
                        read = true;
                        break;
                    }
                    await Task.Delay(500, token).ConfigureAwait(false);
                }
                if (!read)
                    missing.Add(key);
            }
        }
        return missing.Count == 0
            ? CheckResult.Valid("final-reads", $"every one of {keys} keys read after the heal")
            : CheckResult.Unknown("final-reads", $"{missing.Count} of {keys} keys could not be read after the heal: {string.Join(" ", missing.Take(10))}");
    }

    /// <summary>After the heal every replica must reach the same state: equal DEBUG DIGEST on all nodes.</summary>
    private async Task<CheckResult> DigestCheckAsync(ChaosCluster cluster, CancellationToken token)
    {
        const string name = "replica-digests";
        var deadline = DateTime.UtcNow + s_digestTimeout;
        string?[] digests = [];
        while (DateTime.UtcNow < deadline)
        {
            digests = await cluster.DigestsAsync(token).ConfigureAwait(false);
            if (digests.All(d => d is not null) && digests.Distinct().Count() == 1)
                return CheckResult.Valid(name, $"all {digests.Length} replicas at digest {digests[0]}");
            await Task.Delay(500, token).ConfigureAwait(false);
        }
        var listing = string.Join(", ", cluster.Nodes.Select((n, i) => n.Name + "=" + (digests.ElementAtOrDefault(i) ?? "no answer")));
        await SaveRaftStateAsync(cluster, token).ConfigureAwait(false);
        return digests.Any(d => d is null)
            ? CheckResult.Unknown(name, $"not every node answered DEBUG DIGEST within {s_digestTimeout.TotalSeconds} s: {listing}")
            : new CheckResult(name, Verdict.Invalid, $"replicas diverged {s_digestTimeout.TotalSeconds} s after the heal: {listing}", []);
    }

    // For diagnosis: each node's consensus state (term, role, commit/last/applied/snapshot index) when replicas
    // diverged, in raft-state.txt beside the history.
    private async Task SaveRaftStateAsync(ChaosCluster cluster, CancellationToken token)
    {
        var text = new System.Text.StringBuilder();
        foreach (var node in cluster.Nodes)
        {
            var reply = await ChaosCluster.QueryAsync(node, ["INFO", "raft"], token).ConfigureAwait(false);
            text.Append("# ").AppendLine(node.Name).AppendLine(reply?.Text ?? "(no answer)");
        }
        File.WriteAllText(Path.Combine(cluster.Directory, "raft-state.txt"), text.ToString());
    }

    private static CheckResult CrashCheck(ChaosCluster cluster)
    {
        var crashes = cluster.Crashes();
        return crashes.Count == 0
            ? CheckResult.Valid("node-crashes", "no node exited unless killed")
            : new CheckResult("node-crashes", Verdict.Invalid, crashes[0], crashes);
    }

    private Verdict Report(string runDir, List<CheckResult> results, IReadOnlyList<OpPair> pairs, int faults)
    {
        var distinct = results.GroupBy(r => r.Checker).Select(g => g.MaxBy(r => r.Verdict)!).ToList();
        var verdict = CheckResult.Combine(distinct);
        var summary = Summary.Write(options, distinct, pairs, faults, verdict);
        File.WriteAllText(Path.Combine(runDir, "summary.txt"), summary);
        log.Write(summary);
        return verdict;
    }
}
