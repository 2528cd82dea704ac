namespace RaftKV.Protocol.Commands;

/// <summary>
/// Where a key spec's search starts: at an argument index, after a keyword searched from an argument on (backwards from
/// the end when <see cref="StartFrom"/> is negative), or unknown (Redis's key function for the command finds the keys).
/// </summary>
public sealed record BeginSearch(BeginSearch.Kind Type, int Index, string? Keyword, int StartFrom)
{
    public enum Kind
    {
        Unknown,
        Index,
        Keyword,
    }

    public static BeginSearch Unknown { get; } = new(Kind.Unknown, 0, null, 0);

    /// <summary>The name COMMAND INFO gives the kind.</summary>
    public string TypeName => Type switch
    {
        Kind.Index => "index",
        Kind.Keyword => "keyword",
        _ => "unknown",
    };

    public static BeginSearch AtIndex(int index) => new(Kind.Index, index, null, 0);

    public static BeginSearch AfterKeyword(string keyword, int startFrom) => new(Kind.Keyword, 0, keyword, startFrom);
}
