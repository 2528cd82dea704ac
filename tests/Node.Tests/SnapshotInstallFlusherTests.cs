using System.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Chaos bug 6 (seed 504): a follower installed the leader's snapshot at index 6000 while its log ended at 5729, and
/// from then on failed every AppendEntries, command and sweep with "WAL page 93 doesn't exist on the disk" (page 93
/// holds the metadata of indexes 5952-6015). DotNext 6.12's background flusher reads the snapshot index before it
/// takes the WAL's read lock and never again after. A flusher woken just before the install (by the commit of the
/// previous AppendEntries) waits for that lock behind the install, then combines the old snapshot index with the new
/// log tail (the snapshot index): it flushes from its old flush position to 6000, reads metadata of entries that were
/// never written, fails, and the WAL refuses everything afterwards.
/// The test stops the flusher at that point (right after it read the snapshot index) and installs the snapshot then.
/// </summary>
public sealed class SnapshotInstallFlusherTests : IDisposable
{
    private const long SnapshotIndex = 1000; // far past the tail (10): its metadata page does not exist
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-flusher-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Install_BeyondTheTail_WhileTheFlusherHoldsTheOldSnapshotIndex_LeavesTheLogWorking()
    {
        var (node, gate) = await OpenAsync(_directory);
        await using (node)
        {
            for (var index = 1; index <= 10; index++)
                await node.AppendAsync(index, term: 2, key: "old", value: index);
            await node.CommitAsync(8);
            await node.DotNextLog!.FlushAsync();

            // The next AppendEntries commits 9-10 and wakes the flusher, which reads the snapshot index (none yet)...
            var paused = gate.PauseFlusherAtNextSnapshotRead();
            await node.Log.CommitAsync(10);
            await paused.WaitAsync(TimeSpan.FromSeconds(10));
            await node.Log.WaitForApplyAsync(10);

            // ...and InstallSnapshot (index 1000, far past the tail) completes before the flusher goes on.
            await node.InstallSnapshotAsync(SnapshotIndex, term: 3, key: "snapshot");
            Assert.Equal(SnapshotIndex, node.Log.LastEntryIndex);
            gate.ResumeFlusher();

            // The flusher's next round must not fail the WAL: flushing, appending and committing go on.
            await node.DotNextLog!.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
            for (var index = SnapshotIndex + 1; index <= SnapshotIndex + 5; index++)
                await node.AppendAsync(index, term: 3, key: "new", value: (int)index);
            await node.DotNextLog!.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await node.CommitAsync(SnapshotIndex + 5);
            Assert.Equal(WalNode.DigestOf(("snapshot", "1"), ("new", "1005")), node.Digest());
        }

        // The checkpoint records the log after the snapshot: a restart has every entry.
        var (reopened, _) = await OpenAsync(_directory);
        await using (reopened)
        {
            Assert.Equal(SnapshotIndex + 5, reopened.Log.LastEntryIndex);
            Assert.Equal(SnapshotIndex + 5, reopened.Log.LastCommittedEntryIndex);
            Assert.Equal(WalNode.DigestOf(("snapshot", "1"), ("new", "1005")), reopened.Digest());
            await reopened.AppendAsync(SnapshotIndex + 6, term: 3, key: "after-restart", value: 1);
            await reopened.DotNextLog!.FlushAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    // The WAL over a FlusherGate around the state machine, with small pages and entry hashes as in production.
    private static async Task<(WalNode Node, FlusherGate Gate)> OpenAsync(string directory)
    {
        FlusherGate? gate = null;
        var node = await WalNode.OpenAsync(
            directory,
            wrap: inner => gate = new FlusherGate(inner),
            options: static location => new WriteAheadLog.Options
            {
                Location = location,
                ChunkSize = 4096,
                HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64,
            },
            beforeDispose: () => gate?.ResumeFlusher());
        return (node, gate!);
    }

    /// <summary>
    /// The state machine as the WAL sees it, able to stop DotNext's background flusher right after it has read the
    /// snapshot index (the value it will use for the whole round), as the WAL's read lock stops it in production.
    /// </summary>
    private sealed class FlusherGate(IStateMachine inner) : IStateMachine
    {
        private readonly ManualResetEventSlim _resume = new(initialState: true);
        private TaskCompletionSource? _paused;

        public ISnapshot? Snapshot
        {
            get
            {
                var snapshot = inner.Snapshot;
                var paused = Volatile.Read(ref _paused);
                if (paused is not null && IsFlusher() && Interlocked.CompareExchange(ref _paused, null, paused) == paused)
                {
                    paused.SetResult();
                    _resume.Wait(TimeSpan.FromSeconds(30));
                }

                return snapshot;
            }
        }

        int IStateMachine.Version => inner.Version;

        public Task PauseFlusherAtNextSnapshotRead()
        {
            _resume.Reset();
            var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _paused, paused);
            return paused.Task;
        }

        public void ResumeFlusher() => _resume.Set();

        public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token) => inner.ApplyAsync(entry, token);

        public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => inner.ReclaimGarbageAsync(watermark, token);

        // The flusher is WriteAheadLog.FlushAsync<TBackground>, an async method running on the thread pool.
        private static bool IsFlusher()
            => new StackTrace().GetFrames().Any(static frame => frame.GetMethod()?.DeclaringType?.Name.StartsWith("<FlushAsync>", StringComparison.Ordinal) == true);
    }
}
