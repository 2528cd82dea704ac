using System.Globalization;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Server;

/// <summary>
/// SENTINEL, as a Redis Sentinel that monitors one master, the Raft leader, under the configured service name: every
/// node answers from its own view, so clients that take a list of Sentinels (redis-py <c>Sentinel</c>, ioredis
/// <c>sentinels</c>, StackExchange.Redis <c>serviceName</c>) can be given the nodes themselves. The other members are
/// the replicas, and also the other Sentinels. Only the subcommands clients use to find the primary are served; the
/// ones that reconfigure a Sentinel (MONITOR, SET, FAILOVER, ...) have no counterpart, since Raft elects the leader.
/// </summary>
internal sealed class SentinelCommand(IMemberAddresses members, RaftHost raft, ServerInfo server, IOptions<NodeOptions> options)
{
    private const string NoSuchMaster = "ERR No such master with that name";

    private readonly NodeOptions _options = options.Value;

    public Reply Execute(byte[][] args)
    {
        var sub = Encoding.ASCII.GetString(args[1]).ToUpperInvariant();
        return (sub, args.Length) switch
        {
            ("GET-MASTER-ADDR-BY-NAME", 3) => GetMasterAddress(args[2]),
            ("MASTERS", 2) => Reply.Array(Master()),
            ("MASTER", 3) => IsService(args[2]) ? Master() : Reply.Error(NoSuchMaster),
            ("REPLICAS" or "SLAVES", 3) => IsService(args[2]) ? Replicas() : Reply.Error(NoSuchMaster),
            ("SENTINELS", 3) => IsService(args[2]) ? Sentinels() : Reply.Error(NoSuchMaster),
            ("MYID", 2) => Reply.Bulk(server.RunId),
            _ => Reply.Error(ErrorMessages.UnknownSubcommandOrWrongArity(Encoding.UTF8.GetString(args[1]), "SENTINEL")),
        };
    }

    private bool IsService(byte[] name) => Encoding.UTF8.GetString(name) == _options.SentinelServiceName;

    /// <summary>
    /// The leader's RESP host and port; a null array for an unknown master name, as Sentinel answers, and also while
    /// this node knows no leader (a client then asks another node or retries, instead of connecting to a dead one).
    /// </summary>
    private Reply GetMasterAddress(byte[] name)
    {
        if (!IsService(name) || members.LeaderResp is not { } leader)
            return Reply.NullArray;
        var (host, port) = EndpointParser.Split(leader);
        return Reply.Array(Reply.Bulk(host), Reply.Bulk(port.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The master's state. With no leader known (an election in progress, or this node cut off) the master is
    /// reported down (<c>s_down,o_down</c>) with no address, which clients that check the flags (redis-py) skip.
    /// </summary>
    private Reply Master()
    {
        var all = members.Members;
        var leader = members.LeaderResp;
        var (host, port) = leader is null ? (string.Empty, 0) : EndpointParser.Split(leader);
        var fields = Common(_options.SentinelServiceName, host, port,
            leader is null ? "master,s_down,o_down,disconnected" : "master");
        Add(fields, "info-refresh", 0);
        Add(fields, "role-reported", "master");
        Add(fields, "role-reported-time", 0);
        Add(fields, "config-epoch", raft.IsStarted ? raft.Cluster.Term : 0);
        Add(fields, "num-slaves", all.Count(static m => !m.IsLeader && m.Resp is not null));
        Add(fields, "num-other-sentinels", Math.Max(0, all.Count - 1));
        Add(fields, "quorum", all.Count / 2 + 1);
        Add(fields, "failover-timeout", _options.ElectionTimeoutMaxMs);
        Add(fields, "parallel-syncs", 1);
        return new MapReply(fields);
    }

    /// <summary>Every member but the leader whose RESP address this node knows.</summary>
    private Reply Replicas()
    {
        var leader = members.LeaderResp;
        var (masterHost, masterPort) = leader is null ? ("?", 0) : EndpointParser.Split(leader);
        var offset = raft.IsStarted ? raft.StateMachine.AppliedIndex : 0;
        var replies = new List<Reply>();
        foreach (var member in members.Members)
        {
            if (member.IsLeader || member.Resp is not { } resp)
                continue;
            var (host, port) = EndpointParser.Split(resp);
            var fields = Common(resp, host, port, leader is null ? "slave,master_link_down" : "slave");
            Add(fields, "info-refresh", 0);
            Add(fields, "role-reported", "slave");
            Add(fields, "role-reported-time", 0);
            Add(fields, "master-link-down-time", 0);
            Add(fields, "master-link-status", leader is null ? "err" : "ok");
            Add(fields, "master-host", masterHost);
            Add(fields, "master-port", masterPort);
            Add(fields, "slave-priority", 100);
            // Only this node's own applied index is known here; the leader's view of others' progress is RAFTKV.MEMBERS'.
            Add(fields, "slave-repl-offset", member.IsSelf ? offset : 0);
            Add(fields, "replica-announced", 1);
            replies.Add(new MapReply(fields));
        }

        return Reply.Array([.. replies]);
    }

    /// <summary>The other members, each of which answers SENTINEL too (ioredis adds them to its Sentinel list).</summary>
    private Reply Sentinels()
    {
        var replies = new List<Reply>();
        foreach (var member in members.Members)
        {
            if (member.IsSelf || member.Resp is not { } resp)
                continue;
            var (host, port) = EndpointParser.Split(resp);
            var fields = Common(resp, host, port, "sentinel");
            Add(fields, "last-hello-message", 0);
            Add(fields, "voted-leader", "?");
            Add(fields, "voted-leader-epoch", 0);
            replies.Add(new MapReply(fields));
        }

        return Reply.Array([.. replies]);
    }

    /// <summary>The fields Sentinel gives every instance, in its order (a flat array under RESP2, a map under RESP3).</summary>
    private List<KeyValuePair<Reply, Reply>> Common(string name, string host, int port, string flags)
    {
        var fields = new List<KeyValuePair<Reply, Reply>>(24);
        Add(fields, "name", name);
        Add(fields, "ip", host);
        Add(fields, "port", port);
        Add(fields, "runid", string.Empty);
        Add(fields, "flags", flags);
        Add(fields, "link-pending-commands", 0);
        Add(fields, "link-refcount", 1);
        Add(fields, "last-ping-sent", 0);
        Add(fields, "last-ok-ping-reply", 0);
        Add(fields, "last-ping-reply", 0);
        Add(fields, "down-after-milliseconds", _options.ElectionTimeoutMinMs);
        return fields;
    }

    // Sentinel sends every value as a bulk string, numbers included; clients convert the ones they know.
    private static void Add(List<KeyValuePair<Reply, Reply>> fields, string key, string value) =>
        fields.Add(new(Reply.Bulk(key), Reply.Bulk(value)));

    private static void Add(List<KeyValuePair<Reply, Reply>> fields, string key, long value) =>
        Add(fields, key, value.ToString(CultureInfo.InvariantCulture));
}
