using System.Net;
using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Server;

/// <summary>
/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], Redis 7.0's coordinated hand-over from the primary to a
/// replica, as a Raft leadership transfer (RAFTKV.LEADER.TRANSFER): to the member whose RESP address is host:port, or
/// to any up-to-date member. Redis answers OK at once and fails over in the background; here OK comes once another
/// member leads (no acknowledged write is lost either way), or an error when it did not. TIMEOUT is checked as Redis
/// checks it but does not cut the transfer short: once the other members hold their elections for it, stopping halfway
/// would leave the outcome to chance; it is bounded by MembershipChangeTimeoutMs instead. Its checks and errors are
/// Redis's: a follower answers that it is a replica; ABORT finds nothing to abort (the transfer is the command itself),
/// or, while one runs, refuses.
/// </summary>
internal sealed class FailoverCommand(RaftHost raft, MembershipChanges changes)
{
    private int _running;

    public async ValueTask<Reply> ExecuteAsync(byte[][] args, CancellationToken token)
    {
        if (args.Length == 2 && Ascii.EqualsIgnoreCase(args[1], "ABORT"u8))
            return Volatile.Read(ref _running) == 0
                ? Reply.Error("ERR No failover in progress.")
                : Reply.Error("ERR FAILOVER ABORT: the leadership transfer under way cannot be stopped halfway");

        long timeoutMs = 0;
        var force = false;
        string? target = null;
        for (var j = 1; j < args.Length; j++)
        {
            if (Ascii.EqualsIgnoreCase(args[j], "TIMEOUT"u8) && j + 1 < args.Length && timeoutMs == 0)
            {
                if (!RedisNumber.TryParseLong(args[j + 1], out timeoutMs))
                    return Reply.Error(ErrorMessages.NotInteger);
                if (timeoutMs <= 0)
                    return Reply.Error("ERR FAILOVER timeout must be greater than 0");
                j++;
            }
            else if (Ascii.EqualsIgnoreCase(args[j], "TO"u8) && j + 2 < args.Length && target is null)
            {
                if (!RedisNumber.TryParseLong(args[j + 2], out var port))
                    return Reply.Error(ErrorMessages.NotInteger);
                target = $"{Encoding.UTF8.GetString(args[j + 1])}:{port}";
                j += 2;
            }
            else if (Ascii.EqualsIgnoreCase(args[j], "FORCE"u8) && !force)
            {
                force = true;
            }
            else
            {
                return Reply.Error(ErrorMessages.Syntax);
            }
        }

        if (Volatile.Read(ref _running) != 0)
            return Reply.Error("ERR FAILOVER already in progress.");
        if (!raft.IsStarted)
            return Reply.Error(CommandExecutor.NoLeader);
        if (!raft.IsLeader)
            return Reply.Error("ERR FAILOVER is not valid when server is a replica.");
        var others = raft.Cluster.Members.Where(static m => m.IsRemote).ToList();
        if (others.Count == 0)
            return Reply.Error("ERR FAILOVER requires connected replicas.");
        if (force && (timeoutMs == 0 || target is null))
            return Reply.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");

        IPEndPoint? to = null;
        if (target is not null)
        {
            var member = others.FirstOrDefault(m => string.Equals(raft.RespEndpointOf(m), target, StringComparison.OrdinalIgnoreCase));
            if (member?.EndPoint is not IPEndPoint endpoint)
                return Reply.Error("ERR FAILOVER target HOST and PORT is not a replica.");
            to = endpoint;
        }

        if (Interlocked.Exchange(ref _running, 1) != 0)
            return Reply.Error("ERR FAILOVER already in progress.");
        try
        {
            return await changes.TransferAsync(to, token).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
