using Grpc.Core;
using RaftKV.Grpc.V1;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// The gRPC face of the same <see cref="CommandExecutor"/> that serves RESP: same log, same barriers, same replies.
/// Each call is a RESP command (Get: RAFTKV.KV.GET, Range: RAFTKV.KV.RANGE, Put: RAFTKV.KV.PUT, Delete:
/// RAFTKV.KV.DELETE, Set: SET) run by <see cref="GrpcCommands"/>, whose error replies become gRPC statuses
/// (<see cref="GrpcErrors"/>). Execute is the exception: any command, its reply (an error included) as a tree.
/// </summary>
/// <remarks>
/// Calls are checked against the ACL users as RESP commands are: as the user of the call's username/password metadata
/// (<see cref="Security.GrpcIdentity"/>), else the default user; a refusal is Unauthenticated (NOAUTH, WRONGPASS) or
/// PermissionDenied (NOPERM).
/// </remarks>
internal sealed class KvService(GrpcCommands commands) : Kv.KvBase
{
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context) =>
        KvMessages.GetResponse(await commands.RunAsync(context, KvMessages.Get(request)).ConfigureAwait(false));

    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context) =>
        KvMessages.RangeResponse(await commands.RunAsync(context, KvMessages.Range(request)).ConfigureAwait(false));

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context) =>
        KvMessages.PutResponse(await commands.RunAsync(context, KvMessages.Put(request)).ConfigureAwait(false));

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context) =>
        KvMessages.DeleteResponse(await commands.RunAsync(context, KvMessages.Delete(request)).ConfigureAwait(false));

    public override async Task<SetResponse> Set(SetRequest request, ServerCallContext context)
    {
        var reply = await commands.RunAsync(context, ["SET"u8.ToArray(), request.Key.ToByteArray(), request.Value.ToByteArray()]).ConfigureAwait(false);
        return reply is SimpleStringReply ? new SetResponse() : throw GrpcErrors.Unexpected(reply);
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
        return new ExecuteResponse { Reply = ReplyConverter.ToProto(await commands.ExecuteAsync(context, spec, args).ConfigureAwait(false)) };
    }
}
