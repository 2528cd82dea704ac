using System.Text;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>The stream commands' error replies, worded exactly as Redis 7.0's t_stream.c words them.</summary>
internal static class StreamErrors
{
    public const string InvalidId = "ERR Invalid stream ID specified as stream command argument";
    public const string TrimConflict = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
    public const string MaxLenNegative = "ERR The MAXLEN argument must be >= 0.";
    public const string LimitNegative = "ERR The LIMIT argument must be >= 0.";
    public const string LimitWithoutStrategy = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
    public const string TrimWithoutStrategy = "ERR syntax error, XTRIM must be called with a trimming strategy";
    public const string LimitWithoutApprox = "ERR syntax error, LIMIT cannot be used without the special ~ option";
    public const string AddIdZero = "ERR The ID specified in XADD must be greater than 0-0";
    public const string Exhausted = "ERR The stream has exhausted the last possible ID, unable to add more items";
    public const string AddIdTooSmall = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    public const string InvalidStart = "ERR invalid start ID for the interval";
    public const string InvalidEnd = "ERR invalid end ID for the interval";
    public const string Unbalanced = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
    public const string GroupOnlyInReadGroup = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
    public const string NoAckOnlyInReadGroup = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
    public const string MissingGroup = "ERR Missing GROUP option for XREADGROUP";
    public const string DollarInReadGroup = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.";
    public const string GreaterOutsideGroup = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.";
    public const string TimeoutNotInteger = "ERR timeout is not an integer or out of range";
    public const string EntriesReadValue = "ERR value for ENTRIESREAD must be positive or -1";
    public const string GroupNeedsKey = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
    public const string BusyGroup = "BUSYGROUP Consumer Group name already exists";
    public const string EntriesAddedNegative = "ERR entries_added must be positive";
    public const string SetIdBelowMaxDeleted = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
    public const string SetIdBelowTop = "ERR The ID specified in XSETID is smaller than the target stream top item";
    public const string SetIdEntriesAdded = "ERR The entries_added specified in XSETID is smaller than the target stream length";
    public const string ClaimMinIdle = "ERR Invalid min-idle-time argument for XCLAIM";
    public const string AutoClaimMinIdle = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
    public const string AutoClaimCount = "ERR COUNT must be > 0";

    public static string NoGroupInReadGroup(byte[] key, byte[] group) =>
        $"NOGROUP No such key '{Text(key)}' or consumer group '{Text(group)}' in XREADGROUP with GROUP option";

    public static string NoGroupForKey(byte[] group, byte[] key) => $"NOGROUP No such consumer group '{Text(group)}' for key name '{Text(key)}'";

    public static string NoKeyOrGroup(byte[] key, byte[] group) => $"NOGROUP No such key '{Text(key)}' or consumer group '{Text(group)}'";

    public static string ClaimOption(string option) => $"ERR Invalid {option} option argument for XCLAIM";

    public static string UnrecognizedClaimOption(byte[] option) => $"ERR Unrecognized XCLAIM option '{Text(option)}'";

    public static string SubcommandSyntax(byte[] subcommand, string command) =>
        $"ERR unknown subcommand or wrong number of arguments for '{Text(subcommand)}'. Try {command} HELP.";

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
