using RaftKV.Chaos.Cluster;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Running;

/// <summary>
/// One client, bound to one node as Jepsen binds them (so followers' forwarding is exercised). It runs ops one at a
/// time until the deadline or its op budget. After an info op the logical process may still have that op in flight,
/// so the worker continues as a new process id (id + client count), as Jepsen does.
/// </summary>
internal sealed class ClientWorker(
    int id, int clients, NodeProcess node, IReadOnlyList<Workload> workloads, HistoryLog history,
    Func<long> uniqueValue, RunOptions options)
{
    public async Task RunAsync(DateTime deadline, CancellationToken token)
    {
        var random = new Random(unchecked(options.Seed * 7919 + id));
        var process = id;
        RespClient? client = null;
        try
        {
            for (var n = 0; n < options.OpsPerClient && DateTime.UtcNow < deadline && !token.IsCancellationRequested; n++)
            {
                var workload = workloads[random.Next(workloads.Count)];
                var invoke = history.Append(workload.Next(id, history.Now, random, uniqueValue) with { Process = process, Type = OpType.Invoke, Node = node.Name });
                var (completion, next) = await OpExecutor.ExecuteAsync(workload, invoke, client, node.Resp, options.OpTimeout, token).ConfigureAwait(false);
                client = next;
                workload.Completed(id, invoke, history.Append(completion));
                if (completion.Type == OpType.Info)
                    process += clients;
                var pause = client is null ? 100 + random.Next(100) : random.Next(options.OpDelayMs * 2 + 1);
                if (pause > 0)
                    await Task.Delay(pause, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: the run is abandoned.
        }
        finally
        {
            if (client is not null)
                await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
