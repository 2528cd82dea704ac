using System.Globalization;
using System.Text;

namespace RaftKV.Differential.Tests.Infrastructure;

/// <summary>A RESP2 reply as read off the wire, rendered as one comparable line.</summary>
internal sealed class RespValue
{
    public char Type { get; init; }

    public byte[]? Bulk { get; init; }

    public string Text { get; init; } = string.Empty;

    public long Integer { get; init; }

    public IReadOnlyList<RespValue>? Items { get; init; }

    public bool IsError => Type == '-';

    public bool IsNull => (Type == '$' && Bulk is null) || (Type == '*' && Items is null);

    public string Render() => Type switch
    {
        '+' => Text,
        '-' => "(error) " + Text,
        ':' => "(integer) " + Integer.ToString(CultureInfo.InvariantCulture),
        '$' => Bulk is null ? "(nil)" : Quote(Bulk),
        _ => Items is null ? "(nil-array)" : "[" + string.Join(", ", Items.Select(i => i.Render())) + "]",
    };

    public override string ToString() => Render();

    public static string Quote(byte[] value)
    {
        var text = new StringBuilder("\"");
        foreach (var b in value)
        {
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\'
                ? ((char)b).ToString()
                : "\\x" + b.ToString("x2", CultureInfo.InvariantCulture));
        }

        return text.Append('"').ToString();
    }
}
