using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Configuration;
using RaftKV.Node.Log;

namespace RaftKV.Node.Raft;

/// <summary>The Raft log the node runs, chosen by <see cref="NodeOptions.Log"/>.</summary>
internal sealed partial class RaftHost
{
    private IReplicatedLog OpenLog(string dataDirectory)
    {
        var stateMachine = StateMachine;
        if (_options.Log == LogEngine.RaftKV)
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
