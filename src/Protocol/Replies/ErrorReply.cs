namespace RaftKV.Protocol.Replies;

public sealed class ErrorReply(string message) : Reply
{
    /// <summary>The whole error line without the leading '-', e.g. <c>WRONGTYPE Operation against ...</c>.</summary>
    public string Message { get; } = message;

    public override string ToString() => "-" + Message;
}
