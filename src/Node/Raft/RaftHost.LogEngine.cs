using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Configuration;
using RaftKV.Node.Log;

namespace RaftKV.Node.Raft;

/// <summary>The Raft log the node runs, chosen by <see cref="NodeOptions.Log"/>.</summary>
internal sealed partial class RaftHost
{
    /// <summary>The write-ahead log this node runs (INFO raft's <c>raft_log_engine</c>).</summary>
    public LogEngine Engine { get; private set; } = LogEngine.Auto;

    [LoggerMessage(Level = LogLevel.Information, Message = "Raft log: {Engine}")]
    private partial void LogEngineChosen(LogEngine engine);

    /// <summary>
    /// The engine a node runs on <paramref name="dataDirectory"/>: RaftKV's unless the setting is
    /// <see cref="LogEngine.DotNext"/>. A DotNext log found there is carried over to RaftKV's before it opens
    /// (<see cref="DotNextLogMigration"/>). A log of the other engine's is never ignored: its term and vote may be the
    /// only record that this node voted in a term, and starting afresh beside it could let the node vote twice in that term.
    /// </summary>
    internal static LogEngine Choose(LogEngine setting, string dataDirectory)
    {
        var raftKv = HasFiles(Path.Combine(dataDirectory, DotNextLogMigration.TargetFolder));

        // A carried-over log past its commit point: the wal beside it is retired when the log opens.
        var dotNext = HasFiles(Path.Combine(dataDirectory, DotNextLogMigration.SourceFolder)) && !(raftKv && DotNextLogMigration.IsCommitted(dataDirectory));
        if (dotNext && raftKv)
            throw new InvalidOperationException($"{dataDirectory} holds both DotNext's log (wal) and RaftKV's (log): move the one not in use away");
        var chosen = setting == LogEngine.DotNext ? LogEngine.DotNext : LogEngine.RaftKV;
        if (chosen == LogEngine.DotNext && raftKv)
            throw new InvalidOperationException(
                $"RaftKV:Log={setting}, but {dataDirectory} holds the other engine's log (log); "
                + "leave RaftKV:Log at Auto, or replace this member with an empty data directory (README, \"Replace a failed node\")");
        return chosen;

        static bool HasFiles(string directory) => Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any();
    }

    // DotNext's log as this node writes it; the carry-over opens an old one with the same chunk size and hash.
    private WriteAheadLog.Options DotNextLogOptions(string dataDirectory) => new()
    {
        Location = Path.Combine(dataDirectory, DotNextLogMigration.SourceFolder),
        ChunkSize = _options.WalChunkSizeBytes,

        // Every entry carries a hash of its payload and metadata, verified when the node starts: a corrupted
        // log stops the node with HashMismatchException instead of serving wrong data.
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
        Engine = Choose(_options.Log, dataDirectory);
        LogEngineChosen(Engine);
        if (Engine == LogEngine.RaftKV)
        {
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

        return new DurableWriteAheadLog(
            DotNextLogOptions(dataDirectory),
            stateMachine,
            _options.DurableFollowerAppends,
            () => _disk.IsLow,
            _loggerFactory.CreateLogger<DurableWriteAheadLog>())
        {
            ReplicationBatchBytes = Math.Max(1, _options.ReplicationBatchBytes),
            VoteRefusal = _options.LeaderLease ? TimeSpan.FromMilliseconds(_options.ElectionTimeoutMinMs) : TimeSpan.Zero,
        };
    }
}
