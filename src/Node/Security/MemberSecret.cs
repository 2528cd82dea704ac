using RaftKV.Node.Raft;

namespace RaftKV.Node.Security;

/// <summary>This node's copy of the cluster secret, as its state machine has applied it.</summary>
internal static class MemberSecret
{
    /// <summary>The configured ClusterSecret as the key bytes it stands for, or null when none is configured.</summary>
    public static byte[]? Configured(Configuration.NodeOptions options) =>
        string.IsNullOrEmpty(options.ClusterSecret) ? null : System.Text.Encoding.UTF8.GetBytes(options.ClusterSecret);

    /// <summary>
    /// The applied secret, waiting up to <paramref name="limit"/> for it: a brand-new node learns it from the log or a
    /// snapshot like any other state, moments after the first leader proposed it. Null when it has not arrived by then.
    /// </summary>
    public static async ValueTask<byte[]?> WaitAsync(RaftHost raft, TimeSpan limit, CancellationToken token)
    {
        var deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (true)
        {
            if (raft.IsStarted && raft.StateMachine.ClusterSecret is { } secret)
                return secret;
            if (Environment.TickCount64 > deadline)
                return null;
            await Task.Delay(50, token).ConfigureAwait(false);
        }
    }
}
