namespace RaftKV.Protocol.Resp;

/// <summary>
/// Bounds on what a client may declare before anything is allocated for it. The defaults are Redis's
/// (<c>proto-max-bulk-len</c>, <c>PROTO_INLINE_MAX_SIZE</c>); a peer that exceeds one gets a protocol error
/// and its connection is closed.
/// </summary>
public sealed class RespLimits
{
    public static RespLimits Default { get; } = new();

    /// <summary>
    /// The limits for a client that must authenticate and has not yet (Redis's authRequired): at most 10 arguments of
    /// at most 16 KB each, so a client without a password cannot make the server buffer large requests.
    /// </summary>
    public static RespLimits BeforeAuth { get; } = new() { UnauthenticatedMaxArrayLength = 10, UnauthenticatedMaxBulkLength = 16 * 1024 };

    /// <summary>
    /// For replies from a cluster member (the leader answering a relayed command): any array length. The leader built the
    /// reply from its own state, so a client's read of a list of 1.1M elements through a follower is answered whole; with
    /// the request limit of 1M it failed on every relay until the client timed out.
    /// </summary>
    public static RespLimits FromMember { get; } = new() { MaxArrayLength = Array.MaxLength };

    /// <summary>Largest bulk string a request may carry, in bytes (Redis: proto-max-bulk-len, 512 MB).</summary>
    public long MaxBulkLength { get; init; } = 512L * 1024 * 1024;

    /// <summary>Largest argument count of a multibulk request.</summary>
    public int MaxArrayLength { get; init; } = 1024 * 1024;

    /// <summary>
    /// Longest inline request line, and longest multibulk or bulk header line, in bytes
    /// (Redis: PROTO_INLINE_MAX_SIZE, 64 KB).
    /// </summary>
    public int MaxInlineLength { get; init; } = 64 * 1024;

    /// <summary>Largest argument count before authentication ("Protocol error: unauthenticated multibulk length"); null for none.</summary>
    public int? UnauthenticatedMaxArrayLength { get; init; }

    /// <summary>Largest bulk string before authentication ("Protocol error: unauthenticated bulk length"); null for none.</summary>
    public long? UnauthenticatedMaxBulkLength { get; init; }
}
