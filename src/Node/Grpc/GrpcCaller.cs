using RaftKV.Node.Execution;

namespace RaftKV.Node.Grpc;

/// <summary>A gRPC call as an executor caller: one forwarding connection for the call's lifetime, if needed.</summary>
internal sealed class GrpcCaller : IExecutionCaller, IAsyncDisposable
{
    public bool IsForwarded => false;

    public int ProtocolVersion => 3;

    public ForwardingConnection? Forwarder { get; set; }

    // Never disposed: a relay may still release it as the call ends, and it holds no wait handle.
    public SemaphoreSlim ForwarderGate { get; } = new(1, 1);

    public bool IsBlocked { get; set; }

    public BlockedWait? Wait { get; set; }

    /// <summary>The ACL user the call runs as (its metadata's, or default).</summary>
    public string UserName { get; init; } = RaftKV.StateMachine.Acl.AclTable.DefaultUserName;

    public ValueTask DisposeAsync() => Forwarder?.DisposeAsync() ?? ValueTask.CompletedTask;
}
