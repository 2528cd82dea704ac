namespace RaftKV.Chaos.Resp;

/// <summary>The connection could not be made: nothing was sent, so the operation definitely did not happen.</summary>
internal sealed class RespConnectException(string message, Exception? inner = null) : Exception(message, inner);
