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
    /// The engine a node runs on <paramref name="dataDirectory"/>: <see cref="LogEngine.Auto"/> follows the files there
    /// (RaftKV's for a new directory). A log of the other engine's is never ignored: its term and vote may be the only
    /// record that this node voted in a term, and starting afresh beside it could let the node vote twice in that term.
    /// </summary>
    internal static LogEngine Choose(LogEngine setting, string dataDirectory)
    {
        var dotNext = HasFiles(Path.Combine(dataDirectory, "wal"));
        var raftKv = HasFiles(Path.Combine(dataDirectory, "log"));
        if (dotNext && raftKv)
            throw new InvalidOperationException($"{dataDirectory} holds both DotNext's log (wal) and RaftKV's (log): move the one not in use away");
        var chosen = setting switch
        {
            LogEngine.Auto => dotNext ? LogEngine.DotNext : LogEngine.RaftKV,
            _ => setting,
        };
        if (chosen == LogEngine.RaftKV && dotNext || chosen == LogEngine.DotNext && raftKv)
            throw new InvalidOperationException(
                $"RaftKV:Log={setting}, but {dataDirectory} holds the other engine's log ({(dotNext ? "wal" : "log")}); "
                + "leave RaftKV:Log at Auto, or replace this member with an empty data directory (README, \"Replace a failed node\")");
        return chosen;

        static bool HasFiles(string directory) => Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any();
    }

    private IReplicatedLog OpenLog(string dataDirectory)
    {
        var stateMachine = StateMachine;
        Engine = Choose(_options.Log, dataDirectory);
        LogEngineChosen(Engine);
        if (Engine == LogEngine.RaftKV)
        {
            var location = Path.Combine(dataDirectory, "log");
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
            new WriteAheadLog.Options
            {
                Location = Path.Combine(dataDirectory, "wal"),
                ChunkSize = _options.WalChunkSizeBytes,

                // Every entry carries a hash of its payload and metadata, verified when the node starts: a corrupted
                // log stops the node with HashMismatchException instead of serving wrong data.
                HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64,
            },
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
