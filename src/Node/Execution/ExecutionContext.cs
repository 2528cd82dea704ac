namespace RaftKV.Node.Execution;

/// <summary>
/// What the executor needs of the caller: where to keep the caller's forwarding connection, and whether the
/// caller is itself a follower forwarding to us (then we never forward again).
/// </summary>
internal interface IExecutionCaller
{
    bool IsForwarded { get; }

    /// <summary>The caller's RESP version: a relayed command is sent to the leader under it, so reply shapes match.</summary>
    int ProtocolVersion { get; }

    ForwardingConnection? Forwarder { get; set; }
}
