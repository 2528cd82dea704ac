namespace RaftKV.StateMachine.Log;

/// <summary>A log entry payload that is not a valid encoded <see cref="LogCommand"/> (unknown version, truncated, trailing bytes).</summary>
public sealed class LogEntryFormatException : Exception
{
    public LogEntryFormatException()
    {
    }

    public LogEntryFormatException(string message)
        : base(message)
    {
    }

    public LogEntryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
