namespace RaftKV.StateMachine.Commands;

/// <summary>Error replies worded exactly as Redis 7.0 words them (clients match on these texts).</summary>
internal static class ErrorTexts
{
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string DecrementOverflow = "ERR decrement would overflow";
    public const string NanOrInfinity = "ERR increment would produce NaN or Infinity";
    public const string StringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    public const string OffsetOutOfRange = "ERR offset is out of range";
    public const string NoSuchKey = "ERR no such key";
    public const string InvalidCursor = "ERR invalid cursor";
    public const string MustBePositive = "ERR value is out of range, must be positive";
    public const string IndexOutOfRange = "ERR index out of range";

    public const string SameObject = "ERR source and destination objects are the same";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string NoLfuPolicy = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    public static string UnknownSubcommand(byte[] subcommand, string command) =>
        $"ERR unknown subcommand '{System.Text.Encoding.UTF8.GetString(subcommand)}'. Try {command} HELP.";

    public static string WrongArity(string command) => $"ERR wrong number of arguments for '{command}' command";

    public static string InvalidExpireTime(string command) => $"ERR invalid expire time in '{command}' command";
}
