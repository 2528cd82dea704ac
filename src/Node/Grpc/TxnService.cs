using Grpc.Core;
using RaftKV.Grpc.V1;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// The gRPC Txn service: a <see cref="TxnRequest"/> becomes one RAFTKV.TXN command (one log entry; its compares are
/// evaluated at apply on every replica), run by <see cref="GrpcCommands"/> like any other.
/// </summary>
internal sealed class TxnService(GrpcCommands commands) : Txn.TxnBase
{
    public override async Task<TxnResponse> Commit(TxnRequest request, ServerCallContext context)
    {
        var args = new List<byte[]> { "RAFTKV.TXN"u8.ToArray(), KvMessages.Number(request.Compare.Count) };
        foreach (var compare in request.Compare)
            AddCompare(args, compare);
        AddOperations(args, request.Success);
        AddOperations(args, request.Failure);

        var reply = await commands.RunAsync(context, [.. args]).ConfigureAwait(false);
        if (reply is not ArrayReply { Items: [IntegerReply succeeded, IntegerReply revision, ArrayReply replies] })
            throw GrpcErrors.Unexpected(reply);
        var operations = succeeded.Value != 0 ? request.Success : request.Failure;
        if (replies.Items.Count != operations.Count)
            throw GrpcErrors.Unexpected(reply);
        var response = new TxnResponse { Succeeded = succeeded.Value != 0, Revision = revision.Value };
        for (var i = 0; i < operations.Count; i++)
            response.Responses.Add(ToResponse(operations[i], replies.Items[i]));
        return response;
    }

    private static void AddCompare(List<byte[]> args, Compare compare)
    {
        args.Add(compare.Key.ToByteArray());
        switch (compare.TargetCase)
        {
            case Compare.TargetOneofCase.Value:
                args.Add("VALUE"u8.ToArray());
                break;
            case Compare.TargetOneofCase.ModRevision:
                args.Add("MOD"u8.ToArray());
                break;
            case Compare.TargetOneofCase.Exists:
                args.Add("EXISTS"u8.ToArray());
                break;
            default:
                throw GrpcErrors.Invalid("ERR Txn: a compare needs a target (value, mod_revision or exists)");
        }

        args.Add(compare.Result switch
        {
            Compare.Types.Result.Equal => "EQ"u8.ToArray(),
            Compare.Types.Result.NotEqual => "NE"u8.ToArray(),
            Compare.Types.Result.Less => "LT"u8.ToArray(),
            Compare.Types.Result.Greater => "GT"u8.ToArray(),
            _ => throw GrpcErrors.Invalid("ERR Txn: unknown compare result"),
        });
        args.Add(compare.TargetCase switch
        {
            Compare.TargetOneofCase.Value => compare.Value.ToByteArray(),
            Compare.TargetOneofCase.ModRevision => KvMessages.Number(compare.ModRevision),
            _ => KvMessages.Number(compare.Exists ? 1 : 0),
        });
    }

    private static void AddOperations(List<byte[]> args, IReadOnlyList<RequestOp> operations)
    {
        args.Add(KvMessages.Number(operations.Count));
        foreach (var op in operations)
        {
            var command = op.RequestCase switch
            {
                RequestOp.RequestOneofCase.Get => KvMessages.Get(op.Get),
                RequestOp.RequestOneofCase.Range => KvMessages.Range(op.Range),
                RequestOp.RequestOneofCase.Put => KvMessages.Put(op.Put),
                RequestOp.RequestOneofCase.Delete => KvMessages.Delete(op.Delete),
                _ => throw GrpcErrors.Invalid("ERR Txn: an operation needs a request (get, range, put or delete)"),
            };

            // The command's name "RAFTKV.KV.X" becomes the operation's name "X", counted with its arguments.
            args.Add(KvMessages.Number(command.Length));
            args.Add(command[0]["RAFTKV.KV."u8.Length..]);
            args.AddRange(command[1..]);
        }
    }

    private static ResponseOp ToResponse(RequestOp op, Reply reply)
    {
        if (reply is ErrorReply error)
        {
            // Applied with the rest of the transaction; the operation's own error is all there is to tell.
            throw new RpcException(new Status(StatusCode.FailedPrecondition, error.Message));
        }

        return op.RequestCase switch
        {
            RequestOp.RequestOneofCase.Get => new ResponseOp { Get = KvMessages.GetResponse(reply) },
            RequestOp.RequestOneofCase.Range => new ResponseOp { Range = KvMessages.RangeResponse(reply) },
            RequestOp.RequestOneofCase.Put => new ResponseOp { Put = KvMessages.PutResponse(reply) },
            _ => new ResponseOp { Delete = KvMessages.DeleteResponse(reply) },
        };
    }
}
