using System.Text;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Tests;

/// <summary>
/// Chaos bug 4: a follower that receives InstallSnapshot must keep its log after the snapshot only when the log holds
/// the snapshot's last entry (same index and term). DotNext 6.12 kept any tail, so a deposed leader's abandoned entries
/// were later applied on top of the new leader's snapshot and the replicas diverged.
/// </summary>
public sealed class SnapshotInstallTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-install-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Install_DropsTailFromAnotherTerm_AndARestartDoesNotBringItBack()
    {
        await using (var node = await LogUnderTest.OpenAsync(_directory))
        {
            // A deposed leader of term 4: entries 1-10, of which only 1-2 were committed.
            for (var index = 1; index <= 10; index++)
                await node.AppendAsync(index, term: 4, key: "stale", value: index);
            await node.CommitAsync(2);

            // The new leader's snapshot ends at index 6 with an entry of term 5: the follower's 6 (term 4) conflicts.
            await node.InstallSnapshotAsync(index: 6, term: 5, key: "snapshot");

            Assert.Equal(6, node.Log.LastEntryIndex);
            Assert.Equal(1, node.Log.DroppedTails);

            // The leader's next entry lands at 7 and is the only one applied after the snapshot.
            await node.AppendAsync(7, term: 5, key: "fresh", value: 7);
            await node.CommitAsync(7);
            Assert.Equal(Expected(("snapshot", "1"), ("fresh", "7")), node.Digest());
        }

        await using (var reopened = await LogUnderTest.OpenAsync(_directory))
        {
            Assert.Equal(7, reopened.Log.LastEntryIndex);
            Assert.Equal(Expected(("snapshot", "1"), ("fresh", "7")), reopened.Digest());
        }
    }

    [Fact]
    public async Task Install_KeepsTailAfterTheSnapshotsOwnEntry()
    {
        await using var node = await LogUnderTest.OpenAsync(_directory);
        for (var index = 1; index <= 10; index++)
            await node.AppendAsync(index, term: index <= 5 ? 4 : 5, key: "k" + index, value: index);
        await node.CommitAsync(2);

        // The follower holds the snapshot's last entry (6, term 5): entries 7-10 may have been counted for a commit.
        await node.InstallSnapshotAsync(index: 6, term: 5, key: "snapshot");

        Assert.Equal(10, node.Log.LastEntryIndex);
        Assert.Equal(0, node.Log.DroppedTails);
    }

    private static byte[] Expected(params (string Key, string Value)[] pairs)
    {
        var store = new KeyValueStore();
        foreach (var (key, value) in pairs)
            store.Apply(Set(key, value));
        return store.Digest();
    }

    private static LogCommand Set(string key, string value)
        => new(CommandId.Set, 1_700_000_000_000, 0, [Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value)]);

    private sealed class LogUnderTest : IAsyncDisposable
    {
        private readonly KvStateMachine _stateMachine;

        private LogUnderTest(KvStateMachine stateMachine, DurableWriteAheadLog log)
        {
            _stateMachine = stateMachine;
            Log = log;
        }

        public DurableWriteAheadLog Log { get; }

        public static async Task<LogUnderTest> OpenAsync(string directory)
        {
            var snapshots = new DirectoryInfo(Path.Combine(directory, "snapshots"));
            snapshots.Create();
            var stateMachine = new KvStateMachine(snapshots, 1_000_000, NullLogger.Instance);
            await stateMachine.RestoreAsync();
            var log = new DurableWriteAheadLog(
                new WriteAheadLog.Options { Location = Path.Combine(directory, "wal") }, stateMachine, durableAppends: true, diskLow: static () => false);
            await log.InitializeAsync();
            return new LogUnderTest(stateMachine, log);
        }

        public ValueTask AppendAsync(long index, long term, string key, int value)
            => ((IAuditTrail<IRaftLogEntry>)Log).AppendAsync(
                new BinaryLogEntry { Term = term, Content = LogEntryCodec.Encode(Set(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture))) },
                index);

        public async Task CommitAsync(long index)
        {
            await Log.CommitAsync(index);
            await Log.WaitForApplyAsync(index);
        }

        public ValueTask InstallSnapshotAsync(long index, long term, string key)
        {
            var store = new KeyValueStore();
            store.Apply(Set(key, "1"));
            using var buffer = new MemoryStream();
            SnapshotWriter.Write(store, buffer, index, term);
            return ((IAuditTrail<IRaftLogEntry>)Log).AppendAsync(new SnapshotEntry(term, buffer.ToArray()), index);
        }

        public byte[] Digest() => _stateMachine.Read(static store => store.Digest());

        public async ValueTask DisposeAsync()
        {
            await Log.DisposeAsync();
            await _stateMachine.DisposeAsync();
        }
    }

    private sealed class SnapshotEntry(long term, byte[] content) : IRaftLogEntry
    {
        public long Term => term;

        public bool IsSnapshot => true;

        public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch;

        public bool IsReusable => true;

        public long? Length => content.Length;

        public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
            where TWriter : IAsyncBinaryWriter
            => writer.WriteAsync(content, null, token);
    }
}
