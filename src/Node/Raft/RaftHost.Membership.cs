using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using RaftKV.Node.Configuration;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// The membership side of the Raft host: the stored member list (seeded once, then changed only by committed
/// configuration entries), Join mode, and what a node does once it learns it was removed.
/// </summary>
internal sealed partial class RaftHost
{
    /// <summary>
    /// Written into the data directory of a node removed from its cluster. Such a directory holds a log the cluster
    /// has moved on from: the node refuses to start on it, so that it is never silently reused as a member.
    /// </summary>
    public const string RemovedMarkerFileName = "REMOVED";

    private MembershipStorage? _membership;
    private Task _removalWatch = Task.CompletedTask;
    private volatile bool _wasMember;
    private volatile string? _removedMessage;

    /// <summary>True once this node knows it was removed from the cluster: it serves no command as a member.</summary>
    public bool IsRemoved => _removedMessage is not null;

    /// <summary>The error a removed node answers every command with (null while it is a member).</summary>
    public string? RemovedMessage => _removedMessage;

    /// <summary>Whether this node waits to be added (Join mode, not yet a member of any committed configuration).</summary>
    public bool IsWaitingToJoin => !_wasMember && !IsRemoved;

    /// <summary>The committed member list this node has applied (the leader's is the cluster's).</summary>
    public async ValueTask<IReadOnlySet<EndPoint>> CommittedMembersAsync(CancellationToken token)
    {
        var storage = (IClusterConfigurationStorage<EndPoint>?)_membership ?? throw new InvalidOperationException("The Raft host is not started");
        return (await storage.LoadConfigurationAsync(token).ConfigureAwait(false)).Members;
    }

    private static void RefuseRemovedDataDirectory(string dataDirectory)
    {
        var marker = Path.Combine(dataDirectory, RemovedMarkerFileName);
        if (File.Exists(marker))
        {
            throw new InvalidOperationException(
                $"This node was removed from its cluster ({File.ReadAllText(marker).Trim()}); its data directory {dataDirectory} " +
                "is not reused. To add this machine again, empty the data directory, start the node with RaftKV:Join=true and " +
                "run RAFTKV.MEMBER.ADD on the leader.");
        }
    }

    /// <summary>
    /// Gives DotNext's storage its first member list, once: the members stored by an earlier version (members.json), an
    /// empty list in Join mode (the node waits in standby until a leader adds it), this node alone (no Members setting,
    /// or a restore from backup), or the Members setting. A node whose storage already holds a list keeps it.
    /// </summary>
    /// <returns>Whether this node is the only member of its configuration (DotNext then starts it as the leader).</returns>
    private async Task<bool> SeedMembershipAsync(MembershipStorage storage, string dataDirectory, bool fresh, CancellationToken token)
    {
        var file = new MembershipFile(dataDirectory);
        var typed = (IClusterConfigurationStorage<EndPoint>)storage;
        var configuration = await typed.LoadConfigurationAsync(token).ConfigureAwait(false);
        var stored = File.Exists(Path.Combine(dataDirectory, MembershipStorage.FileName));
        if (_options.Join && fresh && (_options.Members.Count > 0 || !string.IsNullOrEmpty(_options.RestoreFrom)))
            throw new InvalidOperationException("RaftKV:Join starts a node that waits to be added: give it neither Members nor RestoreFrom");

        if (!stored)
        {
            IReadOnlyList<IPEndPoint> members = file.Exists
                ? file.Load()
                : _options.Join && fresh
                    ? []
                    : _options.Members.Count == 0 || !string.IsNullOrEmpty(_options.RestoreFrom)
                        ? [RaftEndPoint]
                        : _options.Members.Select(EndpointParser.ParseIp).ToList();
            if (members.Count > 0 && !members.Contains(RaftEndPoint))
                throw new InvalidOperationException($"The member list does not include this node's Raft endpoint {RaftEndPoint}");
            foreach (var member in members)
                configuration = configuration.Add(member);
            if (members.Count > 0)
                await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(configuration, 0L, token).ConfigureAwait(false);
            if (!file.Exists)
                file.Save(members);
        }

        _wasMember = configuration.Members.Contains(RaftEndPoint);
        if (!_wasMember)
            LogWaitingToJoin(RaftEndPoint.ToString());
        storage.ConfigurationChanged += (changed, _) =>
        {
            OnConfigurationChanged(file, changed.Members);
            return ValueTask.CompletedTask;
        };
        return _wasMember && configuration.Members.Count == 1;
    }

    // Called by DotNext, under its storage lock, when a configuration entry is applied or a snapshot brings one: only
    // committed configurations arrive here, newest version only.
    private void OnConfigurationChanged(MembershipFile file, IReadOnlySet<EndPoint> members)
    {
        file.Save(members);
        if (members.Contains(RaftEndPoint))
        {
            if (!_wasMember)
                LogJoined(RaftEndPoint.ToString(), members.Count);
            _wasMember = true;
        }
        else if (_wasMember)
        {
            MarkRemoved("a committed configuration without it");
        }

        if (_cluster is { } cluster)
            _ = ResolveMembersAsync(cluster);
    }

    private void OnMemberAdded(RaftCluster<RaftClusterMember> cluster, RaftClusterMemberEventArgs<RaftClusterMember> args)
    {
        if (args.Member.IsRemote)
            _ = ResolveRespEndpointAsync(args.Member);
    }

    // Learns every member's RESP endpoint (its metadata) so that RAFTKV.MEMBERS can show it and a removed node can
    // ask the others; members that are down are tried again later.
    internal async Task ResolveMembersAsync(RaftCluster cluster)
    {
        if (Interlocked.Exchange(ref _resolving, 1) == 1)
            return;
        try
        {
            await Task.Yield();
            foreach (var member in cluster.Members.Where(static m => m.IsRemote))
            {
                if (!_respEndpoints.ContainsKey(member.EndPoint))
                    await ResolveRespEndpointAsync(member, refresh: true).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _resolving, 0);
        }
    }

    private int _resolving;

    /// <summary>Learns the RESP endpoint of a member just added (in the background; errors are logged).</summary>
    public async Task ResolveMemberRespAsync(EndPoint raft)
    {
        await Task.Yield();
        if (_cluster?.Members.FirstOrDefault(m => m.EndPoint.Equals(raft)) is { IsRemote: true } member)
            await ResolveRespEndpointAsync(member, refresh: true).ConfigureAwait(false);
    }

    /// <summary>The RESP endpoint a member advertises, when known (this node's own always is).</summary>
    public string? RespEndpointOf(EndPoint raft) => _respEndpoints.TryGetValue(raft, out var resp) ? resp : null;

    /// <summary>Records the RESP endpoint an operator gave for a member being added.</summary>
    public void RememberRespEndpoint(EndPoint raft, string resp) => _respEndpoints[raft] = resp;

    /// <summary>
    /// This node is out of the cluster: it writes the marker (a restart on this directory is refused), stops its Raft
    /// side so that it never stands for election again, and from now on answers every command with an error saying so.
    /// </summary>
    internal void MarkRemoved(string evidence)
    {
        if (IsRemoved)
            return;
        _removedMessage = $"CLUSTERDOWN This node ({RaftEndPoint}) was removed from the Raft cluster and no longer serves commands; empty its data directory and add it again with RAFTKV.MEMBER.ADD to reuse it";
        LogRemoved(RaftEndPoint.ToString(), evidence);
        try
        {
            var marker = Path.Combine(Path.GetFullPath(_options.DataDirectory), RemovedMarkerFileName);
            File.WriteAllText(marker, $"removed as {RaftEndPoint} at {DateTimeOffset.UtcNow:O}, seen from {evidence}{Environment.NewLine}");
        }
        catch (IOException e)
        {
            LogMarkerFailed(e.Message);
        }

        if (_cluster is { } cluster)
            _ = StopAfterRemovalAsync(cluster);
    }

    // Off the applier's thread (this is called under DotNext's storage lock), and a moment later, so that a leader that
    // removed itself answers the change before its Raft side stops.
    private async Task StopAfterRemovalAsync(RaftCluster cluster)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(_options.ElectionTimeoutMinMs)).ConfigureAwait(false);
        try
        {
            await cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// A removed follower is usually never told: the leader stops replicating to it once the change commits, before
    /// the commit index reaches it. Such a node hears from no leader; DotNext's pre-vote keeps it from raising the
    /// cluster's term, and every so often it asks the others' leader for the member list (RAFTKV.MEMBERS, answered by
    /// a leader after a read barrier, so a deposed leader's stale view never counts). A list without this node means
    /// it was removed.
    /// </summary>
    private async Task WatchRemovalAsync(CancellationToken token)
    {
        var quiet = TimeSpan.FromMilliseconds(3L * _options.ElectionTimeoutMaxMs);
        var leaderless = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, _options.ElectionTimeoutMaxMs)));
        try
        {
            while (!IsRemoved && await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (_cluster is not { } cluster || cluster.Leader is not null || !_wasMember)
                {
                    leaderless.Restart();
                    continue;
                }

                if (leaderless.Elapsed < quiet)
                    continue;
                leaderless.Restart();
                if (await AskWhetherRemovedAsync(cluster, token).ConfigureAwait(false) is { } evidence)
                    MarkRemoved(evidence);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task<string?> AskWhetherRemovedAsync(RaftCluster cluster, CancellationToken token)
    {
        foreach (var member in cluster.Members.Where(static m => m.IsRemote))
        {
            var reply = await SendToMemberAsync(member, ["RAFTKV.MEMBERS"u8.ToArray()], token).ConfigureAwait(false);
            if (reply is not null && MemberView.LeaderListWithout(reply, RaftEndPoint.ToString()))
                return $"the leader's member list, asked through {RespEndpointOf(member.EndPoint)}";
        }

        return null;
    }

    /// <summary>
    /// Sends one command to another member over a forwarding connection (the member handshake, so a hidden
    /// node-to-node command is accepted) and returns its reply under RESP2; null when the member cannot be reached or
    /// this node has no cluster secret yet.
    /// </summary>
    /// <param name="limit">How long the exchange may take (CommandTimeoutMs when null).</param>
    internal async Task<Protocol.Replies.Reply?> SendToMemberAsync(RaftClusterMember member, byte[][] request, CancellationToken token, TimeSpan? limit = null)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(limit ?? TimeSpan.FromMilliseconds(_options.CommandTimeoutMs));
            if (await ConnectToMemberAsync(member, timeout.Token).ConfigureAwait(false) is not { } connection)
                return null;
            await using (connection.ConfigureAwait(false))
                return await connection.SendAsync(request, 2, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException
                                      or RaftKV.Protocol.Resp.RespProtocolException)
        {
            if (token.IsCancellationRequested)
                throw;
            return null;
        }
    }

    /// <summary>
    /// A forwarding connection to another member (the member handshake done), or null when this node has no cluster
    /// secret yet or does not know the member's RESP endpoint. Throws as a socket does when the member cannot be reached.
    /// </summary>
    private async Task<Execution.ForwardingConnection?> ConnectToMemberAsync(RaftClusterMember member, CancellationToken token)
    {
        if (StateMachine.ClusterSecret is not { } secret)
            return null;
        // A restarted node has not learned the others' RESP endpoints yet: their metadata says them.
        if ((RespEndpointOf(member.EndPoint) ?? await ResolveRespEndpointAsync(member, refresh: true, token).ConfigureAwait(false)) is not { } resp)
            return null;
        return await Execution.ForwardingConnection.ConnectAsync(
            resp, secret, _options.Tls.Resp ? _tls.ClientOptions(null) : null, token).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Raft} is not a member of any cluster yet: it waits (never electing itself) until a leader adds it with RAFTKV.MEMBER.ADD")]
    private partial void LogWaitingToJoin(string raft);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Raft} is now a member of a {Count}-member cluster")]
    private partial void LogJoined(string raft, int count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Node {Raft} was removed from the cluster ({Evidence}): it stops its Raft side and refuses every command; its data directory is marked and will not start again")]
    private partial void LogRemoved(string raft, string evidence);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the removed-node marker: {Reason}")]
    private partial void LogMarkerFailed(string reason);
}
