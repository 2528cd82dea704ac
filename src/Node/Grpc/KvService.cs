using Google.Protobuf;
using Grpc.Core;
using RaftKV.Grpc.V1;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// The gRPC face of the same <see cref="CommandExecutor"/> that serves RESP: same log, same barriers, same replies.
/// Redis error replies become <see cref="StatusCode.FailedPrecondition"/> (or Unavailable for CLUSTERDOWN) with
/// the Redis text as the detail.
/// </summary>
/// <remarks>
/// Calls are checked against the ACL users as RESP commands are: as the user of the call's username/password metadata
/// (<see cref="Security.GrpcIdentity"/>), else the default user; a refusal is Unauthenticated (NOAUTH, WRONGPASS) or
/// PermissionDenied (NOPERM).
/// </remarks>
internal sealed class KvService(CommandExecutor executor, Security.AccessControl access, Diagnostics.NodeMetrics metrics) : Kv.KvBase
{
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var reply = await RunAsync(context, "GET"u8.ToArray(), request.Key.ToByteArray()).ConfigureAwait(false);
        return reply switch
        {
            BulkReply bulk => new GetResponse { Found = true, Value = ByteString.CopyFrom(bulk.Value) },
            NullReply => new GetResponse { Found = false },
            _ => throw Unexpected(reply),
        };
    }

    public override async Task<SetResponse> Set(SetRequest request, ServerCallContext context)
    {
        var reply = await RunAsync(context, "SET"u8.ToArray(), request.Key.ToByteArray(), request.Value.ToByteArray()).ConfigureAwait(false);
        return reply is SimpleStringReply ? new SetResponse() : throw Unexpected(reply);
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var args = new List<byte[]> { "DEL"u8.ToArray() };
        args.AddRange(request.Keys.Select(static k => k.ToByteArray()));
        var reply = await RunAsync(context, [.. args]).ConfigureAwait(false);
        return reply is IntegerReply n ? new DeleteResponse { Deleted = n.Value } : throw Unexpected(reply);
    }

    public override async Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context)
    {
        if (request.Args.Count == 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "ERR no command given"));
        var args = request.Args.Select(static a => a.ToByteArray()).ToArray();
        if (!CommandTable.TryGet(args[0], out var spec))
            return new ExecuteResponse { Reply = ReplyConverter.ToProto(Reply.Error(ErrorMessages.UnknownCommand(System.Text.Encoding.UTF8.GetString(args[0]), args.Skip(1).ToList()))) };
        if ((spec.Flags & (CommandFlags.Write | CommandFlags.Read)) == 0 || (spec.Flags & CommandFlags.Connection) != 0)
            return new ExecuteResponse { Reply = ReplyConverter.ToProto(Reply.Error($"ERR '{spec.Name}' is not available over gRPC")) };
        if (!spec.AcceptsArgumentCount(args.Length))
            return new ExecuteResponse { Reply = ReplyConverter.ToProto(Reply.Error(ErrorMessages.WrongArity(spec.Name))) };
        var identity = Security.GrpcIdentity.Of(context, access);
        if (access.Check(identity, spec, args) is ErrorReply denied)
            throw Security.GrpcIdentity.Refusal(denied.Message);
        await using var caller = new GrpcCaller { UserName = identity.UserName };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reply = await executor.ExecuteAsync(spec, args, caller, context.CancellationToken).ConfigureAwait(false);
        metrics.CommandCompleted(spec.Name, "grpc", started, reply is ErrorReply);
        return new ExecuteResponse { Reply = ReplyConverter.ToProto(reply) };
    }

    private async Task<Reply> RunAsync(ServerCallContext context, params byte[][] args)
    {
        if (!CommandTable.TryGet(args[0], out var spec))
            throw new InvalidOperationException("command table lacks " + System.Text.Encoding.ASCII.GetString(args[0]));
        var identity = Security.GrpcIdentity.Of(context, access);
        if (access.Check(identity, spec, args) is ErrorReply denied)
            throw Security.GrpcIdentity.Refusal(denied.Message);
        await using var caller = new GrpcCaller { UserName = identity.UserName };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reply = await executor.ExecuteAsync(spec, args, caller, context.CancellationToken).ConfigureAwait(false);
        metrics.CommandCompleted(spec.Name, "grpc", started, reply is ErrorReply);
        return reply is ErrorReply error ? throw ToException(error) : reply;
    }

    private static RpcException ToException(ErrorReply error) => new(new Status(
        error.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) ? StatusCode.Unavailable : StatusCode.FailedPrecondition,
        error.Message));

    private static RpcException Unexpected(Reply reply) => new(new Status(StatusCode.Internal, "unexpected reply " + reply));
}
