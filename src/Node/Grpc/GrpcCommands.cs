using Grpc.Core;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine;

namespace RaftKV.Node.Grpc;

/// <summary>
/// Runs a gRPC call as the RESP command it stands for, through the one <see cref="CommandExecutor"/>: checked first
/// (a malformed request is INVALID_ARGUMENT and never reaches the log), then against the ACL users as RESP commands
/// are, then executed; an error reply becomes the status <see cref="GrpcErrors"/> gives it, and a call whose deadline
/// passed is DEADLINE_EXCEEDED (a write may still have been applied, as with any timeout).
/// </summary>
internal sealed class GrpcCommands(CommandExecutor executor, Security.AccessControl access, Diagnostics.NodeMetrics metrics, Raft.RaftHost raft)
{
    /// <summary>The successful reply of <paramref name="args"/> (the command name first); throws the call's status otherwise.</summary>
    public async Task<Reply> RunAsync(ServerCallContext context, byte[][] args)
    {
        if (!CommandTable.TryGet(args[0], out var spec))
            throw new InvalidOperationException("command table lacks " + System.Text.Encoding.ASCII.GetString(args[0]));
        if (!spec.AcceptsArgumentCount(args.Length))
            throw GrpcErrors.Invalid(Protocol.Replies.ErrorMessages.WrongArity(spec.Name));
        if (KeyValueStore.Validate(spec.Id, args[1..]) is ErrorReply invalid)
            throw GrpcErrors.Invalid(invalid.Message);
        var reply = await ExecuteAsync(context, spec, args).ConfigureAwait(false);
        if (reply is not ErrorReply error)
            return reply;
        if (context.CancellationToken.IsCancellationRequested && context.Deadline <= DateTime.UtcNow)
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
        throw GrpcErrors.From(error.Message, raft.LeaderRespEndpoint);
    }

    /// <summary>
    /// <paramref name="args"/> (a known command, its arity checked) as the call's ACL user, through the executor: its
    /// reply, an error reply included; an ACL refusal throws Unauthenticated or PermissionDenied.
    /// </summary>
    public async Task<Reply> ExecuteAsync(ServerCallContext context, CommandSpec spec, byte[][] args)
    {
        // The call's message may have been read on a socket event thread (Execution/SocketThreads.cs).
        await Execution.SocketThreads.Leave();
        var identity = Security.GrpcIdentity.Of(context, access);
        if (access.Check(identity, spec, args) is ErrorReply denied)
            throw Security.GrpcIdentity.Refusal(denied.Message);
        await using var caller = new GrpcCaller { UserName = identity.UserName };
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reply = await executor.ExecuteAsync(spec, args, caller, context.CancellationToken).ConfigureAwait(false);
        metrics.CommandCompleted(spec.Name, "grpc", started, reply is ErrorReply);
        return reply;
    }
}
