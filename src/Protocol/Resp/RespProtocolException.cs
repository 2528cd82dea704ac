namespace RaftKV.Protocol.Resp;

/// <summary>
/// Malformed RESP input. <see cref="Exception.Message"/> is Redis's error text without the leading
/// <c>ERR </c>, e.g. <c>Protocol error: invalid bulk length</c>; the server answers <c>-ERR &lt;message&gt;</c>
/// and closes the connection, because the stream can no longer be framed.
/// </summary>
public sealed class RespProtocolException : Exception
{
    public RespProtocolException()
        : base("Protocol error")
    {
    }

    public RespProtocolException(string message)
        : base(message)
    {
    }

    public RespProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
