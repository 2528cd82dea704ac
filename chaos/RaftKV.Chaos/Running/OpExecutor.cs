using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;
using RaftKV.Chaos.Workloads;

namespace RaftKV.Chaos.Running;

/// <summary>
/// Runs one op on a connection and classifies its outcome. Fail only when the op certainly did not happen:
/// no connection (nothing sent), an error that says no leader ever got it, or any error to a read (reads change
/// nothing), or an error the workload knows to mean nothing happened (a lock held by another owner). Everything
/// else after sending (timeout, lost connection, other errors to writes) is info.
/// </summary>
internal static class OpExecutor
{
    /// <summary>Error replies that mean the command never reached a leader (see the node's CommandExecutor).</summary>
    private static readonly string[] s_definiteFailures =
    [
        "CLUSTERDOWN No Raft leader",
        "CLUSTERDOWN The leader could not be reached",
        "CLUSTERDOWN This node has not learned the cluster secret yet",
        // A removed member refuses every command before running it (the membership nemesis).
        "CLUSTERDOWN This node (",
    ];

    /// <summary>
    /// Executes <paramref name="invoke"/>; <paramref name="client"/> is connected on demand and set to null when
    /// the connection can no longer be trusted.
    /// </summary>
    public static async Task<(Op Completion, RespClient? Client)> ExecuteAsync(
        Workload workload, Op invoke, RespClient? client, System.Net.IPEndPoint endpoint, TimeSpan timeout, CancellationToken token)
    {
        try
        {
            client ??= await RespClient.ConnectAsync(endpoint, TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
        }
        catch (RespConnectException e)
        {
            return (invoke with { Type = OpType.Fail, Error = "connect: " + e.Message }, null);
        }
        catch (OperationCanceledException)
        {
            return (invoke with { Type = OpType.Fail, Error = "run cancelled before sending" }, null);
        }

        try
        {
            return (await workload.ExchangeAsync(client, invoke, timeout, token).ConfigureAwait(false), client);
        }
        // A FormatException here is a reply a conversation did not expect midway (ExchangeAsync): outcome and
        // connection state are unknown.
        catch (Exception e) when (e is TimeoutException or IOException or OperationCanceledException or FormatException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            return (invoke with { Type = OpType.Info, Error = e.GetType().Name + ": " + e.Message }, null);
        }
    }

    /// <summary>The completion for one reply: an error classified as above, else the workload's reading of it.</summary>
    public static Op Interpret(Workload workload, Op invoke, RespValue reply)
    {
        if (reply.IsError)
        {
            var error = reply.Text ?? "";
            return workload.IsDefiniteFailure(invoke, error) ? invoke with { Type = OpType.Fail, Error = error } : Classify(invoke, error);
        }
        try
        {
            return workload.Complete(invoke, reply);
        }
        catch (FormatException e)
        {
            return invoke with { Type = OpType.Info, Error = "unexpected reply: " + e.Message };
        }
    }

    internal static Op Classify(Op invoke, string error)
    {
        var definite = invoke.F == "read" || s_definiteFailures.Any(f => error.StartsWith(f, StringComparison.Ordinal));
        return invoke with { Type = definite ? OpType.Fail : OpType.Info, Error = error };
    }
}
