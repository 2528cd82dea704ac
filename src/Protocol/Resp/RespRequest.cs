namespace RaftKV.Protocol.Resp;

/// <summary>
/// One client request: the command name and its arguments as byte strings, copied out of the receive
/// buffer so the request outlives it (it may be queued, forwarded or written into a log entry).
/// </summary>
public sealed class RespRequest(byte[][] arguments)
{
    /// <summary>Argument 0 is the command name.</summary>
    public byte[][] Arguments { get; } = arguments;

    public int Count => Arguments.Length;

    public byte[] this[int index] => Arguments[index];
}
