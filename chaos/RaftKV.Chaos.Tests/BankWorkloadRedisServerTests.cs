using System.Diagnostics;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.Cluster;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Running;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Tests;

/// <summary>
/// The bank workload's client side (WATCH/GET/MULTI/EXEC conversations through the harness's own ClientWorker and
/// OpExecutor) against a real redis-server 7.0, whose transactions are the reference: the checker must find the
/// history VALID with transfers committed, and a server refusing MULTI must leave the accounts untouched.
/// </summary>
public class BankWorkloadRedisServerTests
{
    private const int Clients = 6;

    [Fact]
    public async Task Bank_AgainstRedisServer_CommitsTransfersAndIsValid()
    {
        using var redis = new RedisServerProcess();
        var (pairs, result) = await RunAsync(redis, opsPerClient: 150);

        Assert.True(result.Verdict == Verdict.Valid, result.Reason + Environment.NewLine + string.Join(Environment.NewLine, result.Anomalies));
        Assert.Contains(pairs, p => p is { F: "transfer", IsOk: true });
        Assert.Contains(pairs, p => p is { F: "guarded", IsOk: true });
        Assert.Contains(pairs, p => p is { F: "read", IsOk: true } && p.Completion!.Balances!.All(b => b is not null) && p.Invoke.Final == true);
        // A healthy local server answers every command as the conversation expects: the only failures are WATCH
        // aborts, refused guarded transfers, and what a busy machine causes (the harness's 1 s connect timeout,
        // the op timeout), never a reply the conversation did not expect.
        Assert.All(pairs.Where(p => !p.IsOk), p => Assert.True(
            p.Completion?.Error is BankWorkload.AbortedByWatch or BankWorkload.Insufficient ||
            p.Completion?.Error?.StartsWith("connect:", StringComparison.Ordinal) == true ||
            p.Completion?.Error?.StartsWith(nameof(TimeoutException), StringComparison.Ordinal) == true,
            p.ToString()));
    }

    [Fact]
    public async Task Bank_AgainstAServerRefusingMulti_SendsNoTransferAndIsUnknown()
    {
        // As RaftKV before transactions: MULTI is an unknown command. The set-up must stop at MULTI (not run its
        // SETs one by one), so no account ever exists and nothing can be checked.
        using var redis = new RedisServerProcess("--rename-command", "MULTI", "");
        var (pairs, result) = await RunAsync(redis, opsPerClient: 20);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.Contains("nothing checked", result.Reason, StringComparison.Ordinal);
        Assert.All(pairs.Where(p => p.F == "init"), p => Assert.StartsWith("MULTI refused: ERR unknown command", p.Completion!.Error, StringComparison.Ordinal));
        Assert.DoesNotContain(pairs, p => p.F is "transfer" or "guarded");
        Assert.All(pairs.Where(p => p.F == "read"), p => Assert.All(p.Completion!.Balances!, b => Assert.Null(b)));
    }

    /// <summary>Clients as a chaos run drives them (bounded by ops and a minute), then one final read per group, then the checker.</summary>
    private static async Task<(IReadOnlyList<OpPair> Pairs, CheckResult Result)> RunAsync(RedisServerProcess redis, int opsPerClient)
    {
        var workload = new BankWorkload();
        var clock = Stopwatch.StartNew();
        using var history = new HistoryLog(null, () => (long)(clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency)));
        var options = new RunOptions { Clients = Clients, OpsPerClient = opsPerClient, OpDelayMs = 0, Seed = 13 };
        var node = new NodeProcess(0, "redis", redis.Endpoint, redis.Endpoint, Path.GetTempPath(), [], []);
        long value = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c =>
            new ClientWorker(c, Clients, node, [workload], history, () => Interlocked.Increment(ref value), options).RunAsync(deadline, CancellationToken.None)));

        var process = 1_000_000;
        foreach (var group in workload.Keys)
        {
            var invoke = history.Append(workload.Read(group, final: true) with { Process = process++, Type = OpType.Invoke, Node = node.Name });
            var (completion, client) = await OpExecutor.ExecuteAsync(workload, invoke, null, redis.Endpoint, options.OpTimeout, CancellationToken.None);
            if (client is not null)
                await client.DisposeAsync();
            history.Append(completion);
        }
        var pairs = HistoryLog.Pair(history.Snapshot());
        return (pairs, workload.Checker.Check(pairs));
    }
}
