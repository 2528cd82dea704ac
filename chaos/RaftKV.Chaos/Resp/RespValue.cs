using System.Globalization;

namespace RaftKV.Chaos.Resp;

/// <summary>One parsed reply. Bulk strings are decoded as UTF-8: every value the workloads write is ASCII digits.</summary>
internal sealed record RespValue(RespKind Kind, string? Text = null, long Integer = 0, IReadOnlyList<RespValue>? Items = null)
{
    public static readonly RespValue Nil = new(RespKind.Null);

    public bool IsError => Kind == RespKind.Error;

    /// <summary>The reply as a number: an integer reply, or a bulk/simple string holding one; null for nil.</summary>
    public long? AsNumber() => Kind switch
    {
        RespKind.Integer => Integer,
        RespKind.Null => null,
        RespKind.Bulk or RespKind.Simple when long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new FormatException($"expected a number, got {this}"),
    };

    /// <summary>An array of numbers (LRANGE, SMEMBERS); nil counts as empty.</summary>
    public long[] AsNumbers() => Kind switch
    {
        RespKind.Array => Items!.Select(i => i.AsNumber() ?? throw new FormatException("nil element")).ToArray(),
        RespKind.Null => [],
        _ => throw new FormatException($"expected an array, got {this}"),
    };

    public override string ToString() => Kind switch
    {
        RespKind.Simple => "+" + Text,
        RespKind.Error => "-" + Text,
        RespKind.Integer => ":" + Integer.ToString(CultureInfo.InvariantCulture),
        RespKind.Bulk => "$" + Text,
        RespKind.Null => "(nil)",
        _ => "[" + string.Join(", ", Items!) + "]",
    };
}
