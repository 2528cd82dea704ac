using System.Net;
using System.Text;
using DotNext.IO;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Log;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Node.Tests.Log;

namespace RaftKV.Node.Tests;

/// <summary>
/// A DotNext log (<c>wal/</c>) carried over to RaftKV's (<c>log/</c>) at start (<see cref="DotNextLogMigration"/>):
/// term, vote and every entry after the snapshot, exactly; crash states on either side of the commit point; a damaged
/// old log refuses to start.
/// </summary>
public sealed class LogMigrationTests : IDisposable
{
    private static readonly ClusterMemberId A = Member(7001);
    private static readonly ClusterMemberId B = Member(7002);
    private static readonly ClusterMemberId C = Member(7003);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "raftkv-tests", "migrate-" + Guid.NewGuid().ToString("N"));

    public LogMigrationTests() => Directory.CreateDirectory(_data);

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static ClusterMemberId Member(int port) => ClusterMemberId.FromEndPoint(new IPEndPoint(IPAddress.Loopback, port));

    private string Wal => Path.Combine(_data, DotNextLogMigration.SourceFolder);

    private string LogFolder => Path.Combine(_data, DotNextLogMigration.TargetFolder);

    // As RaftHost writes DotNext's log: XxHash64 on every entry.
    private WriteAheadLog.Options Options() => new() { Location = Wal, HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash64 };

    private static IRaftLogEntry[] Entries(long term) =>
    [
        WalNode.Entry(term, WalNode.Set("a", "1")),
        new BinaryLogEntry { Term = term, Content = Encoding.UTF8.GetBytes("with a command id"), CommandId = 42 },
        new ConfigurationEntry(term, [1, 2, 3, 4]),
        WalNode.Entry(term, WalNode.Set("b", new string('x', 10_000))),
    ];

    private async Task WriteDotNextLogAsync(long term, ClusterMemberId? vote, IRaftLogEntry[] entries)
    {
        await using var log = new WriteAheadLog(Options(), IStateMachine.CreateNoOp(long.MaxValue));
        IPersistentState state = log;
        await state.UpdateTermAsync(term, resetLastVote: true);
        if (vote is { } id)
            await state.UpdateVotedForAsync(id);
        foreach (var entry in entries)
            await state.AppendAsync(entry);
        await log.FlushAsync();
    }

    private async Task<CarriedLog?> MigrateAsync(ILogger? logger = null)
    {
        var snapshots = new DirectoryInfo(Path.Combine(_data, "snapshots"));
        snapshots.Create();
        await using var stateMachine = new KvStateMachine(snapshots, 1_000_000, NullLogger.Instance);
        await stateMachine.RestoreAsync();
        return await DotNextLogMigration.RunAsync(_data, Options(), stateMachine, [A, B, C], logger ?? NullLogger.Instance, CancellationToken.None);
    }

    private static async Task<byte[]> PayloadAsync(IRaftLogEntry entry)
    {
        using var buffer = new MemoryStream();
        await entry.WriteToAsync(buffer, 4096, CancellationToken.None);
        return buffer.ToArray();
    }

    [Fact]
    public async Task EveryEntryTermAndVote_AreCarriedExactly_AndTheOldLogIsRetired()
    {
        var entries = Entries(term: 5);
        await WriteDotNextLogAsync(5, B, entries);
        var logger = new CapturingLogger();

        var carried = await MigrateAsync(logger);

        Assert.Equal(new CarriedLog(5, B, 1, entries.Length, 0), carried);
        var line = Assert.Single(logger.Entries, e => e.Level == LogLevel.Information);
        Assert.Contains($"term 5, vote {B}, entries 1..{entries.Length}", line.Message);
        Assert.False(Directory.Exists(Wal));
        Assert.True(Directory.Exists(Path.Combine(_data, DotNextLogMigration.RetiredFolder)));
        Assert.False(Directory.Exists(Path.Combine(_data, DotNextLogMigration.StagingFolder)));
        Assert.False(DotNextLogMigration.IsCommitted(_data));
        using var log = SegmentedLog.Open(LogFolder);
        Assert.Equal((1L, (long)entries.Length), (log.FirstIndex, log.LastIndex));
        var records = log.Read(1, entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            Assert.Equal(i + 1, records[i].Index);
            Assert.Equal(entries[i].Term, records[i].Term);
            Assert.Equal(entries[i].IsConfiguration, records[i].IsConfiguration);
            Assert.Equal(entries[i].CommandId, records[i].CommandId);
            Assert.Equal(await PayloadAsync(entries[i]), records[i].Payload.ToArray());
        }
    }

    // The vote carries over: in the same term the node still refuses every other candidate (Raft §5.2: one vote per term).
    [Theory]
    [InlineData("B")]
    [InlineData("none")]
    [InlineData("unknown")]
    public async Task TheVote_CarriesOver(string voted)
    {
        ClusterMemberId? vote = voted switch { "B" => B, "none" => null, _ => Member(9999) };
        await WriteDotNextLogAsync(7, vote, Entries(7));

        await MigrateAsync();

        await using var node = await WalNode.OpenAsync(_data);
        Assert.Equal(7, node.State.Term);
        Assert.Equal(voted is "B" or "none", node.State.IsVotedFor(B));
        Assert.Equal(voted == "none", node.State.IsVotedFor(A));
        Assert.Equal(voted == "none", node.State.IsVotedFor(C));
    }

    [Fact]
    public async Task ACrashBeforeTheCommitPoint_LeavesTheOldLog_AndTheCarryOverIsRedone()
    {
        var entries = Entries(3);
        await WriteDotNextLogAsync(3, A, entries);
        var staging = Directory.CreateDirectory(Path.Combine(_data, DotNextLogMigration.StagingFolder)).FullName;
        File.WriteAllBytes(Path.Combine(staging, LogSegment.NameOf(1)), [1, 2, 3]); // a torn first segment

        Assert.True(DotNextLogMigration.IsPending(_data));
        var carried = await MigrateAsync();

        Assert.Equal(new CarriedLog(3, A, 1, entries.Length, 0), carried);
        using var log = SegmentedLog.Open(LogFolder);
        Assert.Equal(entries.Length, log.LastIndex);
    }

    [Fact]
    public async Task ACrashAfterTheCommitPoint_FinishesRetiringTheOldLog()
    {
        await WriteDotNextLogAsync(3, A, Entries(3));
        await MigrateAsync();

        // The state a crash between the two renames leaves: log/ with the marker, wal/ still there.
        Directory.Move(Path.Combine(_data, DotNextLogMigration.RetiredFolder), Wal);
        File.WriteAllBytes(Path.Combine(LogFolder, DotNextLogMigration.CommitMarker), []);
        Assert.True(DotNextLogMigration.IsPending(_data));

        Assert.Null(await MigrateAsync());
        Assert.False(Directory.Exists(Wal));
        Assert.True(Directory.Exists(Path.Combine(_data, DotNextLogMigration.RetiredFolder)));
        Assert.False(DotNextLogMigration.IsCommitted(_data));
        using var log = SegmentedLog.Open(LogFolder);
        Assert.Equal(Entries(3).Length, log.LastIndex);
    }

    [Fact]
    public async Task NothingToCarry_InANewDirectory_OrAnEmptyWalFolder()
    {
        Assert.False(DotNextLogMigration.IsPending(_data));
        Directory.CreateDirectory(Wal);
        Assert.False(DotNextLogMigration.IsPending(_data));
        Assert.Null(await MigrateAsync());
        Assert.False(Directory.Exists(LogFolder) && Directory.EnumerateFileSystemEntries(LogFolder).Any());
    }

    // Both logs short of a carry-over's commit point: the old log's term and vote may be the node's only record of a vote
    // it gave, so the node neither drops it nor starts beside it.
    [Fact]
    public async Task BothLogs_RefusesToStart_AndLeavesBothInPlace()
    {
        await WriteDotNextLogAsync(3, A, Entries(3));
        Directory.CreateDirectory(LogFolder);
        File.WriteAllBytes(Path.Combine(LogFolder, LogSegment.NameOf(1)), [1]);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrateAsync());
        Assert.Contains("holds both", e.Message);
        Assert.True(Directory.Exists(Wal));
        Assert.True(File.Exists(Path.Combine(LogFolder, LogSegment.NameOf(1))));
    }

    [Fact]
    public async Task ADamagedOldLog_RefusesToStart_AndStaysInPlace()
    {
        await WriteDotNextLogAsync(3, A, Entries(3));
        var page = Directory.GetFiles(Path.Combine(Wal, "data")).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(page);
        bytes[20] ^= 0xFF; // inside the first entry's payload
        File.WriteAllBytes(page, bytes);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrateAsync());
        Assert.Contains("Could not carry DotNext's log", e.Message);
        Assert.True(Directory.Exists(Wal));
        Assert.False(Directory.Exists(LogFolder) && Directory.EnumerateFileSystemEntries(LogFolder).Any());
    }

    private sealed class ConfigurationEntry(long term, byte[] content) : IRaftLogEntry
    {
        public long Term => term;

        public bool IsConfiguration => true;

        public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch;

        public bool IsReusable => true;

        public long? Length => content.Length;

        public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
            where TWriter : IAsyncBinaryWriter
            => writer.WriteAsync(content, null, token);
    }
}
