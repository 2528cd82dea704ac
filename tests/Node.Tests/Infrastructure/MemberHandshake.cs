using RaftKV.Node.Execution;
using RaftKV.Node.Security;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>The forwarding handshake as a member sends it: a nonce from the node, then its HMAC under the cluster secret.</summary>
internal static class MemberHandshake
{
    /// <summary>Waits (up to 30 s) for <paramref name="node"/> to have applied the cluster secret, and returns it.</summary>
    public static async Task<byte[]> SecretAsync(TestNode node)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (node.Raft.StateMachine.ClusterSecret is null && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        return node.Raft.StateMachine.ClusterSecret ?? throw new TimeoutException("the cluster secret was never applied");
    }

    /// <summary>Turns <paramref name="client"/> into a forwarded connection on <paramref name="node"/>; returns the node's last reply.</summary>
    public static async Task<string?> ForwardAsync(RespTestClient client, TestNode node)
    {
        var secret = await SecretAsync(node);
        var nonce = (await client.SendAsync(ForwardingConnection.Handshake, "NONCE")).Text() ?? "";
        return (await client.SendAsync(ForwardingConnection.Handshake, "PROOF", MemberProof.ForForwarding(secret, nonce))).Text();
    }
}
