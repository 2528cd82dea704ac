using Google.Protobuf;
using RaftKV.Grpc.V1;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>Maps the protocol-neutral reply model onto the gRPC <see cref="ReplyValue"/> tree.</summary>
internal static class ReplyConverter
{
    public static ReplyValue ToProto(Reply reply) => reply switch
    {
        SimpleStringReply s => new ReplyValue { Simple = s.Value },
        ErrorReply e => new ReplyValue { Error = e.Message },
        IntegerReply i => new ReplyValue { Integer = i.Value },
        BulkReply b => new ReplyValue { Bulk = ByteString.CopyFrom(b.Value) },
        VerbatimReply v => new ReplyValue { Bulk = ByteString.CopyFrom(v.Value) },
        BigNumberReply n => new ReplyValue { Bulk = ByteString.CopyFromUtf8(n.Digits) },
        AttributeReply a => ToProto(a.Value),
        NullReply => new ReplyValue { Null = true },
        DoubleReply d => new ReplyValue { Double = d.Value },
        BooleanReply b => new ReplyValue { Boolean = b.Value },
        ArrayReply a => Array(a.Items),
        SetReply s => Array(s.Items),
        PushReply p => Array(p.Items),
        MapReply { PairsInResp2: true } m => Array(m.Entries.Select(static e => (Reply)Reply.Array(e.Key, e.Value)).ToList()),
        MapReply m => Array(m.Entries.SelectMany(static e => new[] { e.Key, e.Value }).ToList()),
        PairsReply p => Array(p.Pairs.Select(static e => (Reply)Reply.Array(e.Key, e.Value)).ToList()),
        _ => new ReplyValue { Error = "ERR unsupported reply" },
    };

    private static ReplyValue Array(IReadOnlyList<Reply> items)
    {
        var array = new ReplyArray();
        array.Items.AddRange(items.Select(ToProto));
        return new ReplyValue { Array = array };
    }
}
