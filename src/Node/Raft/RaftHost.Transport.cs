using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.Raft;

/// <summary>The Raft transport and who may use it: the member-only transport in plaintext (MemberOnlyTransport).</summary>
internal sealed partial class RaftHost
{
    private MemberOnlyTransport? _transport;

    // The Raft endpoints of the Members setting other than this node's: who may connect before a membership is known.
    private readonly IPEndPoint[] _configuredPeers;

    /// <summary>Raft connections refused by the plaintext transport (no member's proof in time, not a member's address).</summary>
    public long RefusedRaftConnections => _transport?.Refused ?? 0;

    /// <summary>
    /// Plaintext: DotNext's protocol over RaftKV's own member-only transport (<see cref="MemberOnlyTransport"/>); under
    /// Tls:Raft, DotNext's TCP transport, where the TLS handshake admits only a peer with a certificate of the cluster's
    /// CA; with RaftMembersOnly off, DotNext's TCP transport in plaintext (any peer is read; earlier builds speak it).
    /// The same settings on either transport, written twice: DotNext's configurations take them only in an initializer.
    /// </summary>
    private RaftCluster.NodeConfiguration NewConfiguration(MembershipStorage membership)
    {
        var ssl = _tls.RaftOptions();
        if (ssl is not null || !_options.RaftMembersOnly)
        {
            return new RaftCluster.TcpConfiguration(RaftEndPoint)
            {
                LowerElectionTimeout = _options.ElectionTimeoutMinMs,
                UpperElectionTimeout = _options.ElectionTimeoutMaxMs,
                RequestTimeout = TimeSpan.FromMilliseconds(_options.RaftRequestTimeoutMs),
                ConnectTimeout = TimeSpan.FromMilliseconds(_options.RaftConnectTimeoutMs),
                ColdStart = false,
                IsLeaderLeaseEnabled = _options.LeaderLease,
                LoggerFactory = _raftLoggerFactory,
                ConfigurationStorage = membership,
                WarmupRounds = Math.Max(1, _options.MemberWarmupRounds),
                SslOptions = ssl,
            };
        }

        _transport = new MemberOnlyTransport(
            RaftEndPoint, IsMemberAddress, RaftSecret,
            TimeSpan.FromMilliseconds(Math.Max(1000, _options.RaftConnectTimeoutMs + _options.RaftRequestTimeoutMs)), _raftLoggerFactory);
        return new RaftCluster.CustomTransportConfiguration(RaftEndPoint, _transport, _transport)
        {
            LowerElectionTimeout = _options.ElectionTimeoutMinMs,
            UpperElectionTimeout = _options.ElectionTimeoutMaxMs,
            RequestTimeout = TimeSpan.FromMilliseconds(_options.RaftRequestTimeoutMs),
            ConnectTimeout = TimeSpan.FromMilliseconds(_options.RaftConnectTimeoutMs),
            ColdStart = false,
            IsLeaderLeaseEnabled = _options.LeaderLease,
            LoggerFactory = _raftLoggerFactory,
            ConfigurationStorage = membership,
            WarmupRounds = Math.Max(1, _options.MemberWarmupRounds),
        };
    }

    // Parsed leniently: the setting matters only to bootstrap, and a node with a stored membership ignores it.
    private static IPEndPoint[] ConfiguredPeers(IEnumerable<string> members, IPEndPoint self) =>
        [.. members.Select(TryParseMember).OfType<IPEndPoint>().Where(e => !e.Equals(self))];

    private static IPEndPoint? TryParseMember(string member)
    {
        try
        {
            return EndpointParser.ParseIp(member);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    // The cluster secret a Raft connection proves membership with: the applied one, else the configured one.
    private byte[]? RaftSecret() => _stateMachine?.ClusterSecret ?? Security.MemberSecret.Configured(_options);

    /// <summary>
    /// Whether a Raft connection from <paramref name="address"/> that brought no valid proof may be read (RaftMembersOnly): it is the address of
    /// another member of the configuration this node holds; before it knows any other member, of one in the Members
    /// setting. A node started to join (Join, no member known yet) takes any: it cannot know beforehand which leader
    /// will add it, and holds no data until one has.
    /// </summary>
    private bool IsMemberAddress(IPAddress address)
    {
        var peers = false;
        if (_cluster is { } cluster)
        {
            foreach (var member in cluster.Members)
            {
                if (!member.IsRemote)
                    continue;
                peers = true;
                if (member.EndPoint is IPEndPoint known && MemberOnlyTransport.Normalize(known.Address).Equals(address))
                    return true;
            }
        }

        if (peers)
            return false;
        foreach (var member in _configuredPeers)
        {
            if (MemberOnlyTransport.Normalize(member.Address).Equals(address))
                return true;
        }

        return _configuredPeers.Length == 0 && _options.Join;
    }
}
