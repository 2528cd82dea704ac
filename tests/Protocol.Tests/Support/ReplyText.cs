using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Protocol.Tests.Support;

/// <summary>A structural, unambiguous rendering of a reply tree, for equality assertions.</summary>
internal static class ReplyText
{
    public static string Describe(Reply? reply) => reply switch
    {
        null => "<no reply>",
        SimpleStringReply s => $"simple({s.Value})",
        ErrorReply e => $"error({e.Message})",
        IntegerReply i => $"int({i.Value.ToString(CultureInfo.InvariantCulture)})",
        BulkReply b => $"bulk({Hex(b.Value)})",
        NullReply n => $"null({n.Kind})",
        ArrayReply a => $"array[{string.Join(",", a.Items.Select(Describe))}]",
        SetReply s => $"set[{string.Join(",", s.Items.Select(Describe))}]",
        PushReply p => $"push[{string.Join(",", p.Items.Select(Describe))}]",
        MapReply m => $"map[{string.Join(",", m.Entries.Select(e => Describe(e.Key) + "=>" + Describe(e.Value)))}]",
        DoubleReply d => $"double({BitConverter.DoubleToInt64Bits(d.Value).ToString(CultureInfo.InvariantCulture)})",
        BooleanReply b => $"bool({b.Value})",
        VerbatimReply v => $"verbatim({v.Format}:{Hex(v.Value)})",
        _ => throw new ArgumentException(reply.GetType().Name),
    };

    private static string Hex(byte[] value) => Convert.ToHexString(value) + "/" + Encoding.Latin1.GetString(value);
}
