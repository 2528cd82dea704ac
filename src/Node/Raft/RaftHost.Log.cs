using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Log;

namespace RaftKV.Node.Raft;

/// <summary>
/// The node's Raft log: RaftKV's own (<see cref="RaftLog"/>, docs/write-ahead-log.md) in <c>data/log</c>. A data directory
/// written by a release that kept DotNext's log (<c>data/wal</c>) is carried over to it at start
/// (<see cref="DotNextLogMigration"/>).
/// </summary>
internal sealed partial class RaftHost
{
    // DotNext's log as releases before RaftKV's own log wrote it: the carry-over opens it with the same chunk size and hash.
    private WriteAheadLog.Options DotNextLogOptions(string dataDirectory) => new()
    {
        Location = Path.Combine(dataDirectory, DotNextLogMigration.SourceFolder),
        ChunkSize = _options.WalChunkSizeBytes,

        // Every entry carries a hash of its payload and metadata, verified as it is read: a corrupted old log is not
        // carried over and the node does not start.
        HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64,
    };

    // Every member id this node may have voted for: the committed membership, the member list file, the configured
    // members and itself (DotNext's log tells a vote only by IsVotedFor(id), see DotNextLogMigration.VoteOf).
    private async Task<IReadOnlyCollection<ClusterMemberId>> KnownMembersAsync(string dataDirectory, CancellationToken token)
    {
        var members = new HashSet<EndPoint> { RaftEndPoint };
        foreach (var member in _options.Members)
            members.Add(Configuration.EndpointParser.ParseIp(member));
        var file = new MembershipFile(dataDirectory);
        if (file.Exists)
            members.UnionWith(file.Load());
        if (File.Exists(Path.Combine(dataDirectory, MembershipStorage.FileName)))
        {
            using var storage = new MembershipStorage(Path.Combine(dataDirectory, MembershipStorage.FileName));
            var stored = await ((IClusterConfigurationStorage<EndPoint>)storage).LoadConfigurationAsync(token).ConfigureAwait(false);
            members.UnionWith(stored.Members);
        }

        return members.Select(ClusterMemberId.FromEndPoint).ToHashSet();
    }

    private async Task<IReplicatedLog> OpenLogAsync(string dataDirectory, CancellationToken token)
    {
        var stateMachine = StateMachine;
        if (DotNextLogMigration.IsPending(dataDirectory))
        {
            await DotNextLogMigration.RunAsync(
                dataDirectory, DotNextLogOptions(dataDirectory), stateMachine, await KnownMembersAsync(dataDirectory, token).ConfigureAwait(false),
                _loggerFactory.CreateLogger(typeof(DotNextLogMigration)), token).ConfigureAwait(false);
        }

        var location = Path.Combine(dataDirectory, DotNextLogMigration.TargetFolder);
        try
        {
            return RaftLog.Open(
                location,
                stateMachine,
                new RaftLogOptions
                {
                    ElectionTimeoutMin = TimeSpan.FromMilliseconds(_options.ElectionTimeoutMinMs),
                    ReplicationBatchBytes = Math.Max(1, _options.ReplicationBatchBytes),
                    Segments = new SegmentedLogOptions { ZeroAheadBytes = Math.Max(0, _options.LogZeroAheadBytes) },
                    DiskLow = () => _disk.IsLow,
                },
                _loggerFactory.CreateLogger<RaftLog>());
        }
        catch (LogCorruptedException e)
        {
            LogCorruptLog(location, e);
            throw;
        }
    }
}
