using System.Net;
using System.Text;
using RaftKV.Node.Configuration;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// RAFTKV.MEMBERS, RAFTKV.MEMBER.ADD raft-host:port [resp-host:port], RAFTKV.MEMBER.REMOVE raft-host:port and
/// RAFTKV.LEADER.TRANSFER [raft-host:port], for RESP and gRPC alike: run on the leader (a follower relays them and
/// waits for the leader's answer, also across the leader change a transfer makes), each answered +OK once done.
/// RAFTKV.MEMBERS is answered by the leader after a read barrier (a deposed leader never answers with its stale
/// list), or by this node from its own view when no leader is known.
/// </summary>
internal sealed class MembershipCommands(RaftHost raft, MembershipChanges changes, CommandExecutor executor, Microsoft.Extensions.Options.IOptions<NodeOptions> options)
{
    private readonly NodeOptions _options = options.Value;

    /// <param name="args">The whole request, the command name at index 0.</param>
    public async ValueTask<Reply> ExecuteAsync(CommandId id, byte[][] args, IExecutionCaller caller, CancellationToken token)
    {
        if (!raft.IsStarted)
            return Reply.Error(CommandExecutor.NoLeader);
        if (raft.RemovedMessage is { } removed)
            return Reply.Error(removed);
        if (Parse(id, args, out var member, out var resp) is { } invalid)
            return invalid;

        if (id == CommandId.RaftkvMembers && !raft.IsLeader && (raft.Cluster.Leader is null || caller.IsForwarded))
            return MemberView.ToReply(changes.View());

        var limit = TimeSpan.FromMilliseconds(_options.MembershipChangeTimeoutMs + _options.CommandTimeoutMs);
        return await executor.OnLeaderAsync(t => id switch
        {
            CommandId.RaftkvMembers => MembersAsync(t),
            CommandId.RaftkvMemberAdd => changes.AddAsync(member!, resp, t),
            CommandId.RaftkvMemberRemove => changes.RemoveAsync(member!, t),
            _ => changes.TransferAsync(member, t),
        }, args, caller, limit, token).ConfigureAwait(false);
    }

    private async Task<Reply> MembersAsync(CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_options.CommandTimeoutMs);
        return await executor.BarrierAsync(timeout.Token).ConfigureAwait(false)
            ? MemberView.ToReply(changes.View())
            : Reply.Error(CommandExecutor.ReadFailed);
    }

    private static Reply? Parse(CommandId id, byte[][] args, out IPEndPoint? member, out string? resp)
    {
        member = null;
        resp = null;
        var most = id switch
        {
            CommandId.RaftkvMembers => 1,
            CommandId.RaftkvMemberAdd => 3,
            _ => 2,
        };
        if (args.Length > most)
            return Reply.Error(ErrorMessages.Syntax);
        if (args.Length > 1)
        {
            var text = Encoding.UTF8.GetString(args[1]);
            try
            {
                member = EndpointParser.ParseIp(text);
            }
            catch (FormatException)
            {
                return Reply.Error($"ERR invalid Raft address '{text}': expected ip:port");
            }
        }

        if (args.Length > 2)
        {
            resp = Encoding.UTF8.GetString(args[2]);
            try
            {
                EndpointParser.Split(resp);
            }
            catch (FormatException)
            {
                return Reply.Error($"ERR invalid RESP address '{resp}': expected host:port");
            }
        }

        return null;
    }
}
