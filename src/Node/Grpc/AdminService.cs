using Grpc.Core;
using RaftKV.Grpc.V1;
using RaftKV.Node.Raft;
using RaftKV.Node.Server;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// The gRPC face of <see cref="MembershipCommands"/>: each call is the RESP command it names, checked against the ACL
/// users the same way, run on the leader (a follower relays it), and its -ERR or CLUSTERDOWN answer becomes
/// FailedPrecondition or Unavailable with the same text.
/// </summary>
internal sealed class AdminService(MembershipCommands membership, Security.AccessControl access) : Admin.AdminBase
{
    public override async Task<MembersResponse> Members(MembersRequest request, ServerCallContext context)
    {
        var reply = await RunAsync(context, "RAFTKV.MEMBERS").ConfigureAwait(false);
        var rows = MemberView.Parse(reply) ?? throw new RpcException(new Status(StatusCode.Internal, "unexpected reply " + reply));
        var response = new MembersResponse();
        response.Members.AddRange(rows.Select(static r => new Member
        {
            Id = r.Id, Raft = r.Raft, Resp = r.Resp, Role = r.Role, Voting = r.Voting, MatchIndex = r.MatchIndex, IsSelf = r.IsSelf,
        }));
        return response;
    }

    public override async Task<AddMemberResponse> AddMember(AddMemberRequest request, ServerCallContext context)
    {
        await (string.IsNullOrEmpty(request.Resp)
            ? RunAsync(context, "RAFTKV.MEMBER.ADD", request.Raft)
            : RunAsync(context, "RAFTKV.MEMBER.ADD", request.Raft, request.Resp)).ConfigureAwait(false);
        return new AddMemberResponse();
    }

    public override async Task<RemoveMemberResponse> RemoveMember(RemoveMemberRequest request, ServerCallContext context)
    {
        await RunAsync(context, "RAFTKV.MEMBER.REMOVE", request.Raft).ConfigureAwait(false);
        return new RemoveMemberResponse();
    }

    public override async Task<TransferLeaderResponse> TransferLeader(TransferLeaderRequest request, ServerCallContext context)
    {
        await (string.IsNullOrEmpty(request.Raft)
            ? RunAsync(context, "RAFTKV.LEADER.TRANSFER")
            : RunAsync(context, "RAFTKV.LEADER.TRANSFER", request.Raft)).ConfigureAwait(false);
        return new TransferLeaderResponse();
    }

    private async Task<Reply> RunAsync(ServerCallContext context, params string[] request)
    {
        var args = request.Select(static a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray();
        if (!CommandTable.TryGet(args[0], out var spec))
            throw new InvalidOperationException("command table lacks " + request[0]);
        var identity = Security.GrpcIdentity.Of(context, access);
        if (access.Check(identity, spec, args) is ErrorReply denied)
            throw Security.GrpcIdentity.Refusal(denied.Message);
        await using var caller = new GrpcCaller { UserName = identity.UserName };
        var reply = await membership.ExecuteAsync(spec.Id, args, caller, context.CancellationToken).ConfigureAwait(false);
        if (reply is ErrorReply error)
        {
            throw new RpcException(new Status(
                error.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) ? StatusCode.Unavailable : StatusCode.FailedPrecondition,
                error.Message));
        }

        return reply;
    }
}
