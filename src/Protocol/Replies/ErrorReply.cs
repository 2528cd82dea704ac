namespace RaftKV.Protocol.Replies;

public sealed class ErrorReply(string message) : Reply
{
    /// <summary>The whole error line without the leading '-', e.g. <c>WRONGTYPE Operation against ...</c>.</summary>
    public string Message { get; } = message;

    /// <summary>
    /// Already counted in INFO errorstats and total_error_replies where it arose: a script's error that a command it
    /// called answered (Redis's <c>ignore_error_stats_update</c>, ERR_REPLY_FLAG_NO_STATS_UPDATE). The script's reply
    /// counts in its command's failed_calls only.
    /// </summary>
    public bool AlreadyCounted { get; init; }

    /// <summary>The code Redis counts an error under: the text before the first space within <c>-</c> and 31 more characters, else ERR.</summary>
    public static string CodeOf(string message)
    {
        var space = message.AsSpan(0, Math.Min(message.Length, 31)).IndexOf(' ');
        return space < 0 ? "ERR" : message[..space];
    }

    public override string ToString() => "-" + Message;
}
