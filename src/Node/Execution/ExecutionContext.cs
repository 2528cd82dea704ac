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

    /// <summary>
    /// Held while <see cref="Forwarder"/> is checked, replaced or opened: commands of one caller relayed at once (writes
    /// pipelined across a step-down) share one forwarding connection instead of each opening its own.
    /// </summary>
    SemaphoreSlim ForwarderGate { get; }

    /// <summary>
    /// True while the caller waits in a blocking command (BLPOP, BZPOPMIN, ...): on the leader while it waits for a
    /// key, on a follower while its relayed blocking command is at the leader. INFO blocked_clients counts these.
    /// </summary>
    bool IsBlocked { get; set; }

    /// <summary>The caller's blocking wait on this node while it has one (CLIENT UNBLOCK ends it), else null.</summary>
    BlockedWait? Wait { get; set; }

    /// <summary>The ACL user the caller runs as: a forwarded command runs on the leader as this user.</summary>
    string UserName => RaftKV.StateMachine.Acl.AclTable.DefaultUserName;
}
