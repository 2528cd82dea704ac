using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Tests.Support;

/// <summary>
/// Renders a reply on one line, close to redis-cli: <c>OK</c>, <c>(nil)</c>, <c>(integer) 3</c>,
/// <c>"value"</c> (non-printable bytes as \xNN), <c>(error) ERR ...</c>, arrays as <c>["a", (nil)]</c>.
/// </summary>
internal static class ReplyText
{
    public static string Render(Reply reply) => reply switch
    {
        SimpleStringReply s => s.Value,
        ErrorReply e => "(error) " + e.Message,
        IntegerReply i => "(integer) " + i.Value.ToString(CultureInfo.InvariantCulture),
        BulkReply b => Quote(b.Value),
        NullReply => "(nil)",
        ArrayReply a => "[" + string.Join(", ", a.Items.Select(Render)) + "]",
        // RESP3-only kinds as RESP2 renders them, so that scripts recorded from redis-cli (RESP2) match.
        SetReply s => "[" + string.Join(", ", s.Items.Select(Render)) + "]",
        MapReply { PairsInResp2: true } m => "[" + string.Join(", ", m.Entries.Select(e => "[" + Render(e.Key) + ", " + Render(e.Value) + "]")) + "]",
        MapReply m => "[" + string.Join(", ", m.Entries.SelectMany(e => new[] { Render(e.Key), Render(e.Value) })) + "]",
        // Scripts are recorded from Redis under RESP2, where pairs are flat.
        PairsReply p => "[" + string.Join(", ", p.Pairs.SelectMany(e => new[] { Render(e.Key), Render(e.Value) })) + "]",
        DoubleReply d => Quote(Encoding.ASCII.GetBytes(d.Text ?? RaftKV.Protocol.Resp.RedisNumber.FormatDouble(d.Value))),
        BooleanReply b => "(integer) " + (b.Value ? "1" : "0"),
        BigNumberReply n => Quote(Encoding.ASCII.GetBytes(n.Digits)),
        _ => reply.ToString() ?? reply.GetType().Name,
    };

    public static string Quote(byte[] value)
    {
        var text = new StringBuilder("\"");
        foreach (var b in value)
        {
            text.Append(b switch
            {
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                (byte)'\n' => "\\n",
                (byte)'\r' => "\\r",
                (byte)'\t' => "\\t",
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                _ => "\\x" + b.ToString("x2", CultureInfo.InvariantCulture),
            });
        }

        return text.Append('"').ToString();
    }
}
