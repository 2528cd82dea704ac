using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace RaftKV.Node.Raft;

/// <summary>
/// DotNext's write-ahead log, with durable follower acknowledgements. In DotNext 6.12 a follower answers
/// AppendEntries after appending to memory-mapped pages but before they reach disk: only a background flusher syncs
/// them and writes the checkpoint, and a restart drops everything after the checkpoint. A follower killed within
/// that window (a few ms) forgets entries it acknowledged, and if the leader also dies, a committed write is lost.
/// Re-implementing the producer overload of AppendAsync (the one AppendEntries uses) to wait for
/// <see cref="WriteAheadLog.FlushAsync(CancellationToken)"/> makes the acknowledgement mean "on disk".
/// The leader's own appends need no change: DotNext commits an index only after flushing it locally.
/// </summary>
internal sealed class DurableWriteAheadLog(WriteAheadLog.Options options, IStateMachine stateMachine, bool durableAppends, Func<bool> diskLow)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    private long _flushedAppends;

    /// <summary>How many AppendEntries batches were flushed before being acknowledged (for tests and INFO).</summary>
    public long FlushedAppends => Interlocked.Read(ref _flushedAppends);

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
        => diskLow() && entries.RemainingCount > 0
            ? ValueTask.FromException(new IOException("the data disk is nearly full: this follower refuses to append"))
            : durableAppends
            ? AppendAndFlushAsync(entries, startIndex, skipCommitted, token)
            : AppendAsync(entries, startIndex, skipCommitted, token);

    private async ValueTask AppendAndFlushAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        await FlushAsync(token).ConfigureAwait(false);
        Interlocked.Increment(ref _flushedAppends);
    }
}
