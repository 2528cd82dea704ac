using System.Net;
using System.Reflection;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.Configuration;
using RaftKV.Node.Log;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Tests.Log;

/// <summary>RaftKV's own Raft log as RaftCluster drives it: the contract of docs/write-ahead-log.md, section 1.</summary>
public sealed class RaftLogTests : IDisposable
{
    private static readonly ClusterMemberId Self = ClusterMemberId.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 7379));
    private static readonly ClusterMemberId Other = ClusterMemberId.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 7380));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-raftlog-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    private Task<WalNode> OpenAsync(RaftLogOptions? options = null)
        => WalNode.OpenAsync(_directory, raftLogOptions: options);

    // A DotNext upgrade that adds a member to the interfaces must fail here, not answer from the idle base log.
    // (Default interface members, which DotNext's interfaces implement in terms of the others, may stay.)
    [Fact]
    public void NoInterfaceMember_ButTheConfigurationStorageAccessors_IsAnsweredByDotNextsLog()
    {
        string[] allowed = ["get_ConfigurationStorage", "set_ConfigurationStorage"];
        foreach (var contract in new[] { typeof(IPersistentState), typeof(IAuditTrail<IRaftLogEntry>), typeof(IAuditTrail) })
        {
            var map = typeof(RaftLog).GetInterfaceMap(contract);
            for (var i = 0; i < map.InterfaceMethods.Length; i++)
            {
                if (map.TargetMethods[i].DeclaringType is { IsInterface: false } owner && owner != typeof(RaftLog))
                    Assert.Contains(map.InterfaceMethods[i].Name, allowed);
            }
        }
    }

    [Fact]
    public async Task TermAndVote_AreOnDiskWhenTheCallReturns()
    {
        await using (var node = await OpenAsync())
            Assert.Equal(1, await node.State.IncrementTermAsync(Self));

        await using (var node = await OpenAsync())
        {
            Assert.Equal(1, node.State.Term);
            Assert.True(node.State.IsVotedFor(Self));
            Assert.False(node.State.IsVotedFor(Other));
            await node.State.UpdateTermAsync(5, resetLastVote: true);
        }

        await using (var node = await OpenAsync())
        {
            Assert.Equal(5, node.State.Term);
            Assert.True(node.State.IsVotedFor(Other));
            await node.State.UpdateVotedForAsync(Other);
        }

        await using (var node = await OpenAsync())
            Assert.False(node.State.IsVotedFor(Self));
    }

    [Fact]
    public async Task AfterHearingALeader_TheNodeRefusesVotesForOneElectionTimeout()
    {
        await using var node = await OpenAsync(new RaftLogOptions { ElectionTimeoutMin = TimeSpan.FromMinutes(5) });
        Assert.False(node.State.IsVotedFor(Other));
    }

    // A late duplicate of an earlier AppendEntries must not cut entries a later one appended (and may have had counted).
    [Fact]
    public async Task LateDuplicateAppendEntries_KeepsTheEntriesAfterIt()
    {
        await using var node = await OpenAsync();
        await node.AppendAsync(1, Entries(1, 5, term: 1));
        await node.AppendAsync(2, Entries(2, 3, term: 1));
        Assert.Equal(5, node.Log.LastEntryIndex);
    }

    [Fact]
    public async Task ConflictingEntry_DropsTheTailFromThere()
    {
        await using var node = await OpenAsync();
        await node.AppendAsync(1, Entries(1, 5, term: 1));
        await node.AppendAsync(3, Entries(3, 3, term: 2));
        Assert.Equal(3, node.Log.LastEntryIndex);
        Assert.Equal(2, ((RaftLog)node.Log).Storage.TermAt(3));
        Assert.Equal(1, ((RaftLog)node.Log).Storage.TermAt(2));
    }

    // Raft's min(leaderCommit, index of last new entry): 6-8 could be a deposed leader's entries nobody compared.
    [Fact]
    public async Task Heartbeat_CommitsNoFurtherThanTheIndexItCompared()
    {
        await using var node = await OpenAsync();
        await node.AppendAsync(1, Entries(1, 8, term: 1));
        await node.HeartbeatAsync(prevIndex: 5);
        await node.Log.CommitAsync(8);
        Assert.Equal(5, node.Log.LastCommittedEntryIndex);

        await node.AppendAsync(6, Entries(6, 8, term: 1));
        await node.CommitAsync(8);
        Assert.Equal(8, node.Log.LastCommittedEntryIndex);
        Assert.Equal(8, node.StateMachine.AppliedIndex);
    }

    [Fact]
    public async Task ReplicationRead_IsCutToTheBatchLimit_AndCounted()
    {
        await using var node = await OpenAsync(new RaftLogOptions { ElectionTimeoutMin = TimeSpan.Zero, ReplicationBatchBytes = 1000 });
        await node.AppendAsync(1, Entries(1, 20, term: 1, payloadBytes: 300));

        var (snapshot, entries) = await node.Log.ReadAsync(new Collector(), 1, 20);
        Assert.Null(snapshot);
        Assert.Equal(3, entries.Count);
        Assert.Equal(1, node.Log.CutBatches);

        (_, entries) = await node.Log.ReadAsync(new Collector(), 20, 20);
        Assert.Single(entries);
        (_, entries) = await node.Log.ReadAsync(new Collector(), 21, 20);
        Assert.Empty(entries);
        (_, entries) = await node.Log.ReadAsync(new Collector { LogEntryMetadataOnly = true }, 1, 20);
        Assert.Equal(20, entries.Count);
    }

    // The 100 MB snapshot-transfer test with its third node down: every replication round read, checksummed and
    // allocated a whole 1 MiB batch for the dead member (about 280 reads, 275 MB in one run) only for the connection to
    // be refused; DotNext's log hands lazily read entries. After a failed exchange a member gets a heartbeat, and
    // entries again once it answers (etcd's probe state).
    [Fact]
    public async Task AfterAFailedExchange_TheMemberGetsAHeartbeat_ThenEntriesOnceItAnswers()
    {
        await using var node = await OpenAsync();
        await node.AppendAsync(1, Entries(1, 5, term: 1));
        var member = new Collector { FailNext = true };
        await Assert.ThrowsAsync<IOException>(() => node.Log.ReadAsync(member, 1, 5).AsTask());

        var (snapshot, entries) = await node.Log.ReadAsync(member, 1, 5);
        Assert.Null(snapshot);
        Assert.Empty(entries);
        Assert.Equal(1, ((RaftLog)node.Log).ProbedReplications);
        (_, entries) = await node.Log.ReadAsync(member, 1, 5);
        Assert.Equal(5, entries.Count);

        // Term lookups and other members are not affected.
        member.FailNext = true;
        await Assert.ThrowsAsync<IOException>(() => node.Log.ReadAsync(member, 1, 5).AsTask());
        (_, entries) = await node.Log.ReadAsync(new Collector(), 1, 5);
        Assert.Equal(5, entries.Count);
        (_, entries) = await node.Log.ReadAsync(new Collector { LogEntryMetadataOnly = true }, 1, 5);
        Assert.Equal(5, entries.Count);
    }

    [Fact]
    public async Task Read_OfAnIndexInsideTheSnapshot_HandsTheSnapshot()
    {
        await using var node = await OpenAsync();
        await node.InstallSnapshotAsync(10, term: 2, key: "snapshot");
        var (snapshot, entries) = await node.Log.ReadAsync(new Collector(), 5, 12);
        Assert.Equal(10, snapshot);
        Assert.True(Assert.Single(entries).IsSnapshot);
        Assert.Equal(2, entries[0].Term);
    }

    // The applier used to drop the log's prefix itself after a published snapshot: the replies to writes then waited for
    // a prefix drop, which waits for an in-flight append's fdatasync and unlinks segment files (about 100 ms for 64 MiB).
    [Fact]
    public async Task WhileACompactionDeletesSegmentFiles_CommittedEntriesAreStillApplied()
    {
        using var deleting = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var options = new RaftLogOptions
        {
            ElectionTimeoutMin = TimeSpan.Zero,
            Segments = new SegmentedLogOptions
            {
                SegmentBytes = 512,
                BeforeSegmentDeleted = _ =>
                {
                    deleting.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                },
            },
        };
        await using var node = await WalNode.OpenAsync(_directory, snapshotInterval: 10, raftLogOptions: options,
            beforeDispose: release.Set);
        for (var i = 1; i <= 30; i++)
            await node.AppendAsync(i, Entries(i, i, term: 1)); // one append each: a batch never spans two segments
        await node.CommitAsync(30);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (node.StateMachine.PublishedSnapshot is null && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.NotNull(node.StateMachine.PublishedSnapshot);

        // The next apply notices the snapshot and starts the compaction, which is held in its first segment deletion.
        await node.AppendAsync(31, Entries(31, 31, term: 1));
        await node.CommitAsync(31);
        Assert.True(deleting.Wait(TimeSpan.FromSeconds(10)), "no segment was deleted after the snapshot");

        await node.AppendAsync(32, Entries(32, 33, term: 1));
        var applied = node.CommitAsync(33);
        var waited = await Task.WhenAny(applied, Task.Delay(TimeSpan.FromSeconds(5))) != applied;
        release.Set();
        await applied.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(waited, "entry 33 was applied only after the compaction's segment deletion was released");
        Assert.Equal(33, node.StateMachine.AppliedIndex);
    }

    // Raft never needs the commit index on disk: after a restart it is the snapshot's, and the leader re-sends the rest.
    [Fact]
    public async Task CommitIndex_IsNotKept_ARestartStartsAtTheSnapshot()
    {
        await using (var node = await OpenAsync())
        {
            await node.AppendAsync(1, Entries(1, 3, term: 1));
            await node.CommitAsync(3);
        }

        await using (var node = await OpenAsync())
        {
            Assert.Equal(3, node.Log.LastEntryIndex);
            Assert.Equal(0, node.Log.LastCommittedEntryIndex);
            Assert.Equal(0, node.StateMachine.AppliedIndex);
        }
    }

    // A crash after an installed snapshot became durable but before the log drop that follows it.
    [Fact]
    public async Task Open_WithASnapshotTheLogDoesNotHold_ResetsTheLogToStartAfterIt()
    {
        await using (var node = await OpenAsync())
            await node.AppendAsync(1, Entries(1, 5, term: 1));

        var store = new KeyValueStore();
        store.Apply(WalNode.Set("snapshot", "1"));
        await using (var file = File.Create(Path.Combine(_directory, "snapshots", SnapshotFile.NameOf(3, 2))))
            SnapshotWriter.Write(store, file, 3, 2);

        await using (var node = await OpenAsync())
        {
            Assert.Equal(3, node.Log.LastEntryIndex);
            Assert.Equal(3, node.Log.LastCommittedEntryIndex);
            Assert.Equal(WalNode.DigestOf(("snapshot", "1")), node.Digest());
            await node.AppendAsync(4, Entries(4, 4, term: 2));
            await node.CommitAsync(4);
        }
    }

    private static BinaryLogEntry[] Entries(long first, long last, long term, int payloadBytes = 0)
        => [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => payloadBytes > 0
            ? new BinaryLogEntry { Term = term, Content = new byte[payloadBytes] }
            : WalNode.Entry(term, WalNode.Set("k" + i, "v" + i)))];

    private sealed class Collector : ILogEntryConsumer<IRaftLogEntry, (long? Snapshot, List<IRaftLogEntry> Entries)>
    {
        public bool LogEntryMetadataOnly { get; init; }

        /// <summary>The next exchange fails as one with an unreachable member does.</summary>
        public bool FailNext { get; set; }

        public ValueTask<(long? Snapshot, List<IRaftLogEntry> Entries)> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntryImpl : IRaftLogEntry
            where TList : IReadOnlyList<TEntryImpl>
        {
            if (FailNext)
            {
                FailNext = false;
                return ValueTask.FromException<(long?, List<IRaftLogEntry>)>(new IOException("Connection refused"));
            }

            return new((snapshotIndex, entries.Select(static e => (IRaftLogEntry)e).ToList()));
        }
    }
}
