using System.Text;

namespace RaftKV.Protocol.Replies;

/// <summary>
/// Error texts worded exactly as Redis 7.0 words them, prefix included and the leading '-' excluded:
/// clients match on these strings, so never rephrase one.
/// </summary>
public static class ErrorMessages
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string Syntax = "ERR syntax error";
    public const string NoSuchKey = "ERR no such key";
    public const string IncrOverflow = "ERR increment or decrement would overflow";
    public const string IncrNanOrInf = "ERR increment would produce NaN or Infinity";
    public const string StringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    public const string OffsetOutOfRange = "ERR offset is out of range";
    public const string InvalidDbIndex = "ERR DB index is out of range";
    public const string ClusterDown = "CLUSTERDOWN No Raft leader";
    public const string NoProto = "NOPROTO unsupported protocol version";
    public const string ReadOnlyReplica = "READONLY You can't write against a read only replica.";

    /// <summary>Redis caps echoed command names and arguments at this many bytes.</summary>
    private const int EchoLimit = 128;

    /// <summary>
    /// Redis 7.0's reply to an unknown command: <c>ERR unknown command 'name', with args beginning with: 'a1' 'a2' </c>.
    /// Like Redis, the name is cut to 128 bytes, arguments are appended (each as <c>'arg' </c>) while the list
    /// is shorter than 128 bytes and each is cut to what remains of those 128, texts stop at a NUL byte
    /// (Redis formats C strings), and CR or LF become spaces. <paramref name="args"/> excludes the name.
    /// </summary>
    public static string UnknownCommand(string name, IReadOnlyList<byte[]> args)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(args);
        var list = new List<byte>();
        for (int i = 0; i < args.Count && list.Count < EchoLimit; i++)
        {
            ReadOnlySpan<byte> arg = CString(args[i]);
            int room = EchoLimit - list.Count;
            list.Add((byte)'\'');
            list.AddRange(arg[..Math.Min(arg.Length, room)]);
            list.Add((byte)'\'');
            list.Add((byte)' ');
        }

        ReadOnlySpan<byte> nameBytes = CString(Encoding.UTF8.GetBytes(name));
        string text = "ERR unknown command '" + Encoding.UTF8.GetString(nameBytes[..Math.Min(nameBytes.Length, EchoLimit)])
            + "', with args beginning with: " + Encoding.UTF8.GetString(list.ToArray());
        return NoLineBreaks(text);
    }

    /// <summary><c>ERR wrong number of arguments for 'get' command</c>; the name is lower-cased as Redis reports it.</summary>
    public static string WrongArity(string commandName)
    {
        ArgumentNullException.ThrowIfNull(commandName);
        return NoLineBreaks("ERR wrong number of arguments for '" + commandName.ToLowerInvariant() + "' command");
    }

    /// <summary><c>ERR unknown subcommand 'foo'. Try CLIENT HELP.</c>; the subcommand is cut to 128 characters.</summary>
    public static string UnknownSubcommand(string subcommand, string command)
    {
        ArgumentNullException.ThrowIfNull(subcommand);
        ArgumentNullException.ThrowIfNull(command);
        return NoLineBreaks("ERR unknown subcommand '" + Truncate(subcommand) + "'. Try " + command.ToUpperInvariant() + " HELP.");
    }

    /// <summary>
    /// What Redis's container commands answer for a bad subcommand or a wrong argument count:
    /// <c>ERR unknown subcommand or wrong number of arguments for 'foo'. Try CONFIG HELP.</c>
    /// </summary>
    public static string UnknownSubcommandOrWrongArity(string subcommand, string command)
    {
        ArgumentNullException.ThrowIfNull(subcommand);
        ArgumentNullException.ThrowIfNull(command);
        return NoLineBreaks("ERR unknown subcommand or wrong number of arguments for '" + Truncate(subcommand)
            + "'. Try " + command.ToUpperInvariant() + " HELP.");
    }

    /// <summary><c>ERR invalid expire time in 'set' command</c>.</summary>
    public static string InvalidExpireTime(string commandName)
    {
        ArgumentNullException.ThrowIfNull(commandName);
        return "ERR invalid expire time in '" + commandName.ToLowerInvariant() + "' command";
    }

    /// <summary>The redirect a follower gives when configured to redirect: <c>MOVED 0 host:port</c>.</summary>
    public static string Moved(string leaderEndpoint)
    {
        ArgumentNullException.ThrowIfNull(leaderEndpoint);
        return "MOVED 0 " + leaderEndpoint;
    }

    /// <summary>Wraps a message from this class (or any prefixed error text) as a reply.</summary>
    public static ErrorReply ToReply(string message) => new(message);

    private static ReadOnlySpan<byte> CString(byte[] value)
    {
        int nul = Array.IndexOf(value, (byte)0);
        return nul < 0 ? value : value.AsSpan(0, nul);
    }

    private static string Truncate(string text)
    {
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            text = text[..nul];
        }

        return text.Length <= EchoLimit ? text : text[..EchoLimit];
    }

    private static string NoLineBreaks(string text) => text.Replace('\r', ' ').Replace('\n', ' ');
}
