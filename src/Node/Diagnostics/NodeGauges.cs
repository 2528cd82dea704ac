using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.PubSub;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// Observable instruments on <see cref="NodeMetrics.Meter"/>, read when the endpoint is scraped from the counters
/// the node keeps anyway (the same ones INFO reports): Raft state, per-member replication on the leader, keyspace,
/// snapshots, reads, clients, memory and disk. Nothing here is sampled between scrapes.
/// </summary>
internal sealed class NodeGauges
{
    private readonly RaftHost _raft;
    private readonly ClientRegistry _clients;
    private readonly PubSubBroker _pubSub;
    private readonly DiskSpaceGuard _disk;
    private readonly MemberProgress _progress;

    // The keyspace figures as last read: a scrape while an entry is being applied shows these rather than wait for it.
    private KeyspaceFigures _keyspace = KeyspaceFigures.None;

    private sealed record KeyspaceFigures(long Keys, long Expiring, long Expired)
    {
        public static readonly KeyspaceFigures None = new(0, 0, 0);
    }

    public NodeGauges(NodeMetrics metrics, RaftHost raft, ClientRegistry clients, PubSubBroker pubSub, DiskSpaceGuard disk, MemberProgress progress)
    {
        _raft = raft;
        _progress = progress;
        _clients = clients;
        _pubSub = pubSub;
        _disk = disk;
        var meter = metrics.Meter;

        meter.CreateObservableGauge("raftkv.raft.term", () => Started(r => r.Cluster.Term), null, "Current Raft term");
        meter.CreateObservableGauge("raftkv.raft.leader", () => _raft.IsLeader ? 1 : 0, null, "1 while this node is the leader");
        meter.CreateObservableGauge("raftkv.raft.has_leader", () => Started(r => r.Cluster.Leader is null ? 0L : 1L), null, "1 while this node knows a leader (itself included)");
        meter.CreateObservableGauge("raftkv.raft.commit_index", () => Started(r => r.Log.LastCommittedEntryIndex), null, "Highest log index this node knows to be committed");
        meter.CreateObservableGauge("raftkv.raft.last_log_index", () => Started(r => r.Log.LastEntryIndex), null, "Highest index in this node's log");
        meter.CreateObservableGauge("raftkv.raft.applied_index", () => Started(r => r.StateMachine.AppliedIndex), null, "Highest index applied to this node's state machine");
        meter.CreateObservableGauge("raftkv.raft.apply_lag", () => Started(r => Math.Max(0, r.Log.LastCommittedEntryIndex - r.StateMachine.AppliedIndex)), "{entry}", "Committed entries this node has not applied yet");
        meter.CreateObservableCounter("raftkv.leader.changes", () => _raft.LeaderChanges, null, "Leader changes this node saw (a new leader, or none), since it started");
        meter.CreateObservableGauge("raftkv.raft.members", () => Started(r => (long)r.Cluster.Members.Count), null, "Members in this node's configuration");
        meter.CreateObservableGauge("raftkv.member.commit_lag", () => MemberLag(static p => p.Commit), "{entry}", "On the leader, per member: entries the leader knows committed that the member does not yet (as it reported within the last 3 progress intervals)");
        meter.CreateObservableGauge("raftkv.member.apply_lag", () => MemberLag(static p => p.Applied), "{entry}", "On the leader, per member: committed entries the member has not applied yet (as it reported within the last 3 progress intervals)");
        meter.CreateObservableGauge("raftkv.member.available", MemberAvailable, null, "1 while this node's last request to a member succeeded, per member (the leader talks to every member; a follower only during elections)");
        meter.CreateObservableCounter("raftkv.reads", Reads, null, "Linearizable reads on the leader, by kind: lease (no round) or round (a replication round)");

        meter.CreateObservableGauge("raftkv.keys", () => Keyspace().Keys, null, "Keys in the keyspace");
        meter.CreateObservableGauge("raftkv.keys.expiring", () => Keyspace().Expiring, null, "Keys with a time to live");
        meter.CreateObservableCounter("raftkv.keys.expired", () => Keyspace().Expired, null, "Keys deleted by expiry on this replica (counted at apply, so on every node)");

        meter.CreateObservableGauge("raftkv.snapshot.last.duration", () => Started(r => Math.Max(0, r.StateMachine.LastSnapshotMilliseconds) / 1000.0), "s", "Time the last snapshot took to write (0 before the first)");
        meter.CreateObservableGauge("raftkv.snapshot.last.size", () => Started(r => r.StateMachine.LastSnapshotBytes), "By", "Size of the last snapshot file");
        meter.CreateObservableGauge("raftkv.snapshot.index", () => Started(r => r.StateMachine.SnapshotIndex), null, "Log index of the latest snapshot");
        meter.CreateObservableCounter("raftkv.snapshots.written", () => Started(r => r.StateMachine.SnapshotsWritten), null, "Snapshots this node wrote");
        meter.CreateObservableCounter("raftkv.snapshots.installed", () => Started(r => (long)r.StateMachine.RestoreCount), null, "Snapshots this node loaded (at start or from the leader)");
        meter.CreateObservableCounter("raftkv.snapshot.downloads", () => Started(r => r.StateMachine.Downloads.Completed), null, "Snapshot files this follower downloaded from a leader");
        meter.CreateObservableCounter("raftkv.snapshot.downloaded", () => Started(r => r.StateMachine.Downloads.ReceivedBytes), "By", "Snapshot bytes this follower downloaded");
        meter.CreateObservableCounter("raftkv.snapshot.uploads", () => Started(r => r.StateMachine.Offers.Served), null, "Snapshot files this node served to followers");

        meter.CreateObservableGauge("raftkv.clients.connected", () => _clients.Count, null, "Open RESP connections (forwarding connections from followers included)");
        meter.CreateObservableCounter("raftkv.connections.received", () => _clients.Received, null, "RESP connections accepted since start");
        meter.CreateObservableGauge("raftkv.clients.blocked", () => _clients.Blocked, null, "Clients waiting in a blocking command on this node");
        meter.CreateObservableGauge("raftkv.pubsub.subscribers", () => _clients.Snapshot().Count(static s => s.Subscriptions.Count > 0), null, "Clients subscribed to a channel or pattern on this node");
        meter.CreateObservableGauge("raftkv.pubsub.channels", () => (long)_pubSub.ChannelCount, null, "Channels with a subscriber on this node");
        meter.CreateObservableGauge("raftkv.pubsub.patterns", () => (long)_pubSub.PatternCount, null, "Patterns with a subscriber on this node");

        meter.CreateObservableGauge("raftkv.memory.gc_heap", static () => GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Managed heap size as of the last collection");
        meter.CreateObservableGauge("raftkv.memory.resident", static () => Environment.WorkingSet, "By", "Resident set size of the process");
        meter.CreateObservableGauge("raftkv.disk.free", () => _disk.FreeBytes, "By", "Free bytes on the data directory's filesystem");
        meter.CreateObservableGauge("raftkv.disk.min_free", () => _disk.MinFreeBytes, "By", "Writes are refused below this much free space (MinFreeDiskBytes)");
        meter.CreateObservableGauge("raftkv.disk.writes_refused", () => _disk.IsLow ? 1 : 0, null, "1 while writes are refused because the disk is nearly full");
        meter.CreateObservableGauge("raftkv.uptime", static () => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds, "s", "Seconds since the process started");
    }

    private long Started(Func<RaftHost, long> read) => _raft.IsStarted ? read(_raft) : 0;

    private double Started(Func<RaftHost, double> read) => _raft.IsStarted ? read(_raft) : 0;

    private IEnumerable<Measurement<long>> Reads()
    {
        var (lease, round) = _raft.ReadCounts;
        return [new(lease, new KeyValuePair<string, object?>("kind", "lease")), new(round, new KeyValuePair<string, object?>("kind", "round"))];
    }

    // DotNext's per-member replication index is not public; its member status is (Available after a successful request).
    private List<Measurement<long>> MemberAvailable()
    {
        var measurements = new List<Measurement<long>>();
        if (!_raft.IsStarted)
            return measurements;
        foreach (var member in _raft.Cluster.Members)
        {
            if (member.IsRemote)
                measurements.Add(new(member.Status == DotNext.Net.Cluster.ClusterMemberStatus.Available ? 1 : 0, new KeyValuePair<string, object?>("member", Name(member.EndPoint))));
        }

        return measurements;
    }

    // The leader's commit index less the member's index; no series for a member that has not reported lately.
    private List<Measurement<long>> MemberLag(Func<MemberProgress.Sample, long> index)
    {
        var measurements = new List<Measurement<long>>();
        if (!_raft.IsStarted || !_raft.IsLeader)
            return measurements;
        var commit = _raft.Log.LastCommittedEntryIndex;
        foreach (var member in _raft.Cluster.Members)
        {
            if (member.IsRemote && _progress.Of(member.EndPoint) is { } sample)
                measurements.Add(new(Math.Max(0, commit - index(sample)), new KeyValuePair<string, object?>("member", Name(member.EndPoint))));
        }

        return measurements;
    }

    private static string Name(EndPoint endPoint) => endPoint.ToString() ?? "?";

    private KeyspaceFigures Keyspace()
    {
        if (!_raft.IsStarted)
            return KeyspaceFigures.None;
        if (_raft.StateMachine.TryReadNow(static s => new KeyspaceFigures(s.KeyCount, s.ExpiringKeyCount, s.ExpiredKeyCount), out var now))
            Volatile.Write(ref _keyspace, now);
        return Volatile.Read(ref _keyspace);
    }
}
