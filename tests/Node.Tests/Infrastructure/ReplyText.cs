using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests.Infrastructure;

internal static class ReplyText
{
    /// <summary>The reply as text for assertions: bulk and simple strings as their content, errors with a '-'.</summary>
    public static string? Text(this Reply reply) => reply switch
    {
        BulkReply b => Encoding.UTF8.GetString(b.Value),
        SimpleStringReply s => s.Value,
        VerbatimReply v => Encoding.UTF8.GetString(v.Value),
        ErrorReply e => "-" + e.Message,
        IntegerReply i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        NullReply => null,
        _ => reply.ToString(),
    };
}
