namespace RaftKV.Chaos.Resp;

/// <summary>The RESP2 reply types the harness needs (RESP3 is never negotiated).</summary>
internal enum RespKind
{
    Simple,
    Error,
    Integer,
    Bulk,
    Null,
    Array,
}
