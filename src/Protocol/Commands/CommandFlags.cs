namespace RaftKV.Protocol.Commands;

[Flags]
public enum CommandFlags
{
    None = 0,
    /// <summary>Changes the keyspace: goes through the Raft log.</summary>
    Write = 1 << 0,
    /// <summary>Reads the keyspace: served on the leader after a read barrier.</summary>
    Read = 1 << 1,
    /// <summary>Administrative or server command, answered by the node itself.</summary>
    Admin = 1 << 2,
    /// <summary>Handled inside the client's session; never reaches the state machine.</summary>
    Connection = 1 << 3,
    PubSub = 1 << 4,
    /// <summary>May grow memory: refused when memory is short (kept for Redis parity in COMMAND INFO).</summary>
    DenyOom = 1 << 5,
    Fast = 1 << 6,
    /// <summary>Allowed while the connection is in subscribe mode (RESP2).</summary>
    AllowedInSubscribe = 1 << 7,
    /// <summary>A log entry the leader writes by itself (no-op, batch, expiry sweep, ...): no client can send it.</summary>
    Internal = 1 << 8,
}
