using System.Globalization;
using Google.Protobuf;
using RaftKV.Grpc.V1;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// The raftkv.v1 KV messages as RAFTKV.KV.* arguments (the command name first) and back from their replies (shapes in
/// the StateMachine's KvCommands). Shared by the Kv service and the operations of a Txn.
/// </summary>
internal static class KvMessages
{
    /// <summary>A Range without a limit returns at most this many keys.</summary>
    public const int DefaultLimit = 1000;

    public static byte[][] Get(GetRequest request) => ["RAFTKV.KV.GET"u8.ToArray(), request.Key.ToByteArray()];

    public static byte[][] Range(RangeRequest request) =>
    [
        "RAFTKV.KV.RANGE"u8.ToArray(), request.Prefix.ToByteArray(), request.After.ToByteArray(),
        Number(request.Limit == 0 ? DefaultLimit : request.Limit),
    ];

    public static byte[][] Put(PutRequest request)
    {
        var args = new List<byte[]> { "RAFTKV.KV.PUT"u8.ToArray(), request.Key.ToByteArray(), request.Value.ToByteArray() };
        if (request.TtlMs != 0)
        {
            args.Add("PX"u8.ToArray());
            args.Add(Number(request.TtlMs));
        }

        if (request.Condition != PutRequest.Types.Condition.Always)
            args.Add(request.Condition == PutRequest.Types.Condition.IfAbsent ? "NX"u8.ToArray() : "XX"u8.ToArray());
        if (request.PrevKv)
            args.Add("PREVKV"u8.ToArray());
        return [.. args];
    }

    /// <summary>DELETE by keys or by prefix; both at once is refused (INVALID_ARGUMENT).</summary>
    public static byte[][] Delete(DeleteRequest request)
    {
        if (request.HasPrefix && request.Keys.Count > 0)
            throw GrpcErrors.Invalid("ERR give keys or a prefix, not both");
        var args = new List<byte[]>
        {
            "RAFTKV.KV.DELETE"u8.ToArray(),
            request.HasPrefix ? "PREFIX"u8.ToArray() : "KEYS"u8.ToArray(),
            request.PrevKvs ? "WITHPREV"u8.ToArray() : "NOPREV"u8.ToArray(),
        };
        if (request.HasPrefix)
            args.Add(request.Prefix.ToByteArray());
        else
            args.AddRange(request.Keys.Select(static k => k.ToByteArray()));
        return [.. args];
    }

    public static GetResponse GetResponse(Reply reply)
    {
        var items = Items(reply, 2);
        var response = new GetResponse { Revision = Integer(items[0]) };
        if (items[1] is ArrayReply)
        {
            var kv = KeyValue(items[1]);
            response.Found = true;
            response.Value = kv.Value;
            response.ModRevision = kv.ModRevision;
            response.TtlMs = kv.TtlMs;
        }

        return response;
    }

    public static RangeResponse RangeResponse(Reply reply)
    {
        var items = Items(reply, 3);
        var response = new RangeResponse { Revision = Integer(items[0]), More = Integer(items[1]) != 0 };
        response.Kvs.AddRange(Items(items[2], -1).Select(KeyValue));
        if (response.Kvs.Count > 0)
            response.NextAfter = response.Kvs[^1].Key;
        return response;
    }

    public static PutResponse PutResponse(Reply reply)
    {
        var items = Items(reply, 3);
        return new PutResponse
        {
            Applied = Integer(items[0]) != 0,
            ModRevision = Integer(items[1]),
            PrevKv = items[2] is ArrayReply ? KeyValue(items[2]) : null,
        };
    }

    public static DeleteResponse DeleteResponse(Reply reply)
    {
        var items = Items(reply, 2);
        var response = new DeleteResponse { Deleted = Integer(items[0]) };
        response.PrevKvs.AddRange(Items(items[1], -1).Select(KeyValue));
        return response;
    }

    public static byte[] Number(long value) => RaftKV.Protocol.Resp.RedisNumber.FormatLong(value);

    private static KeyValue KeyValue(Reply item)
    {
        var fields = Items(item, 4);
        return new KeyValue
        {
            Key = ByteString.CopyFrom(Bulk(fields[0])),
            Value = ByteString.CopyFrom(Bulk(fields[1])),
            ModRevision = Integer(fields[2]),
            TtlMs = Integer(fields[3]),
        };
    }

    private static IReadOnlyList<Reply> Items(Reply reply, int count) =>
        reply is ArrayReply array && (count < 0 || array.Items.Count == count) ? array.Items : throw GrpcErrors.Unexpected(reply);

    private static long Integer(Reply reply) => reply is IntegerReply n ? n.Value : throw GrpcErrors.Unexpected(reply);

    private static byte[] Bulk(Reply reply) => reply is BulkReply b ? b.Value : throw GrpcErrors.Unexpected(reply);
}
