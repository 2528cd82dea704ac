namespace RaftKV.Protocol.Commands;

/// <summary>
/// How a key spec finds its keys from where the search began: a range (<see cref="LastKey"/> relative to the first key,
/// or counted from the end when negative, where a <see cref="Limit"/> above 1 takes that fraction of the rest), a count
/// argument (<see cref="KeyNumIndex"/>, the keys from <see cref="FirstKey"/> on), or unknown; every <see cref="KeyStep"/>th
/// argument is a key.
/// </summary>
public sealed record FindKeys(FindKeys.Kind Type, int LastKey, int KeyStep, int Limit, int KeyNumIndex, int FirstKey)
{
    public enum Kind
    {
        Unknown,
        Range,
        KeyNum,
    }

    public static FindKeys Unknown { get; } = new(Kind.Unknown, 0, 0, 0, 0, 0);

    /// <summary>The name COMMAND INFO gives the kind.</summary>
    public string TypeName => Type switch
    {
        Kind.Range => "range",
        Kind.KeyNum => "keynum",
        _ => "unknown",
    };

    public static FindKeys InRange(int lastKey, int keyStep, int limit) => new(Kind.Range, lastKey, keyStep, limit, 0, 0);

    public static FindKeys ByKeyCount(int keyNumIndex, int firstKey, int keyStep) => new(Kind.KeyNum, 0, keyStep, 0, keyNumIndex, firstKey);
}
