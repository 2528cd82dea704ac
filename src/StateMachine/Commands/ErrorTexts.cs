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
    public const string LfuPolicySelected = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public const string NoLfuPolicy = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

    public const string HashValueNotInteger = "ERR hash value is not an integer";
    public const string HashValueNotFloat = "ERR hash value is not a float";
    public const string NanOrInfinityValue = "ERR value is NaN or Infinity";
    public const string OutOfRange = "ERR value is out of range";
    public const string OutOfRangeLong = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

    public const string NumKeysPositive = "ERR numkeys should be greater than 0";
    public const string TooManyKeys = "ERR Number of keys can't be greater than number of args";
    public const string LimitNegative = "ERR LIMIT can't be negative";
    public const string CountPositive = "ERR count should be greater than 0";

    public const string RankZero = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
    public const string CountNegative = "ERR COUNT can't be negative";
    public const string MaxLenNegative = "ERR MAXLEN can't be negative";

    public const string ZaddNxXx = "ERR XX and NX options at the same time are not compatible";
    public const string ZaddGtLtNx = "ERR GT, LT, and/or NX options at the same time are not compatible";
    public const string ZaddIncrSingle = "ERR INCR option supports a single increment-element pair";
    public const string ScoreNaN = "ERR resulting score is not a number (NaN)";
    public const string MinMaxNotFloat = "ERR min or max is not a float";
    public const string MinMaxNotLex = "ERR min or max not valid string range item";
    public const string LimitNeedsByScoreOrLex = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
    public const string WithScoresByLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
    public const string WeightNotFloat = "ERR weight value is not a float";

    public static string AtLeastOneKey(string command) => $"ERR at least 1 input key is needed for '{command}' command";

    public const string TimeoutNotFloat = "ERR timeout is not a float or out of range";
    public const string TimeoutOutOfRange = "ERR timeout is out of range";
    public const string TimeoutNegative = "ERR timeout is negative";

    public const string LcsNotStrings = "ERR The specified keys must contain string values";
    public const string LcsIdxAndLen = "ERR If you want both the length and indexes, please just use IDX.";
    public const string LcsTooLong = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
    public const string SortNotDouble = "ERR One or more scores can't be converted into double";

    // RaftKV's lock commands: an uppercase code first, as Redis's own non-ERR errors, for clients to match on.
    public const string LockHeld = "LOCKED lock is held by another owner";
    public const string NotLockOwner = "NOTOWNER lock is held by another owner";
    public const string NoLock = "NOLOCK no such lock, or it has expired";
    public const string EmptyLockOwner = "ERR lock owner must not be empty";

    public static string UnknownSubcommand(byte[] subcommand, string command) =>
        $"ERR unknown subcommand '{System.Text.Encoding.UTF8.GetString(subcommand)}'. Try {command} HELP.";

    public static string WrongArity(string command) => $"ERR wrong number of arguments for '{command}' command";

    public static string InvalidExpireTime(string command) => $"ERR invalid expire time in '{command}' command";

    public const string ExpireNxConflict = "ERR NX and XX, GT or LT options at the same time are not compatible";
    public const string ExpireGtLtConflict = "ERR GT and LT options at the same time are not compatible";

    public static string UnsupportedOption(byte[] option) => $"ERR Unsupported option {System.Text.Encoding.UTF8.GetString(option)}";
}
