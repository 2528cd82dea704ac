using System.Globalization;
using System.Text;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Log;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>
/// One node's log and state machine without the network: a <see cref="RaftLog"/> over a <see cref="KvStateMachine"/> in
/// a directory, driven the way RaftCluster drives them (AppendEntries at an index, snapshot installs, commits), for tests
/// of what the chaos harness found in DotNext's log (bugs 4, 5, 6), held by RaftKV's log by design, and of snapshots.
/// </summary>
internal sealed class WalNode : IAsyncDisposable
{
    private readonly Action? _beforeDispose;

    private WalNode(KvStateMachine stateMachine, RaftLog log, Action? beforeDispose)
    {
        StateMachine = stateMachine;
        RaftLog = log;
        _beforeDispose = beforeDispose;
    }

    public KvStateMachine StateMachine { get; }

    /// <summary>The log as the host sees it (<see cref="IReplicatedLog"/>: DotNext's persistence interface and more).</summary>
    public IReplicatedLog Log => RaftLog;

    public RaftLog RaftLog { get; }

    /// <summary>The log as RaftCluster sees it (terms, votes, leader appends).</summary>
    public IPersistentState State => Log;

    /// <param name="beforeDispose">Runs before the log is disposed (e.g. to release a held background task).</param>
    public static async Task<WalNode> OpenAsync(
        string directory,
        long snapshotInterval = 1_000_000,
        int sliceKeys = KvStateMachine.DefaultSliceKeys,
        RaftLogOptions? raftLogOptions = null,
        Action? beforeDispose = null)
    {
        var snapshots = new DirectoryInfo(Path.Combine(directory, "snapshots"));
        snapshots.Create();
        var stateMachine = new KvStateMachine(snapshots, snapshotInterval, NullLogger.Instance, sliceKeys);
        await stateMachine.RestoreAsync();
        var log = RaftLog.Open(Path.Combine(directory, "log"), stateMachine, raftLogOptions ?? new RaftLogOptions { ElectionTimeoutMin = TimeSpan.Zero });
        return new WalNode(stateMachine, log, beforeDispose);
    }

    /// <summary>SET key value at a fixed timestamp.</summary>
    public static LogCommand Set(string key, string value)
        => new(CommandId.Set, 1_700_000_000_000, 0, [Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value)]);

    /// <summary>The digest of a store holding exactly these string keys.</summary>
    public static byte[] DigestOf(params (string Key, string Value)[] pairs)
    {
        var store = new KeyValueStore();
        foreach (var (key, value) in pairs)
            store.Apply(Set(key, value));
        return store.Digest();
    }

    public static BinaryLogEntry Entry(long term, LogCommand command) => new() { Term = term, Content = LogEntryCodec.Encode(command) };

    /// <summary>
    /// The follower's path, as RaftCluster takes it for an AppendEntries whose prevLogIndex/prevLogTerm matched: one entry
    /// at an explicit index, committed entries skipped.
    /// </summary>
    public ValueTask AppendAsync(long index, long term, LogCommand command)
        => State.AppendAsync(new EntryProducer([Entry(term, command)]), index, skipCommitted: true);

    /// <summary>Several entries of one AppendEntries from <paramref name="index"/> on.</summary>
    public ValueTask AppendAsync(long index, params BinaryLogEntry[] entries)
        => State.AppendAsync(new EntryProducer(entries), index, skipCommitted: true);

    /// <summary>An AppendEntries without entries whose prevLogIndex (<paramref name="prevIndex"/>) matched.</summary>
    public ValueTask HeartbeatAsync(long prevIndex) => AppendAsync(prevIndex + 1);

    public ValueTask AppendAsync(long index, long term, string key, int value)
        => AppendAsync(index, term, Set(key, value.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Commits up to <paramref name="index"/> and waits (at most 30 s: a test fails rather than hangs) for its apply.</summary>
    public async Task CommitAsync(long index)
    {
        await Log.CommitAsync(index);
        await Log.WaitForApplyAsync(index).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The follower's side of InstallSnapshot: a snapshot holding only <paramref name="key"/> = "1".</summary>
    public ValueTask InstallSnapshotAsync(long index, long term, string key)
    {
        var store = new KeyValueStore();
        store.Apply(Set(key, "1"));
        using var buffer = new MemoryStream();
        SnapshotWriter.Write(store, buffer, index, term);
        return State.AppendAsync(new SnapshotEntry(term, buffer.ToArray()), index);
    }

    public byte[] Digest() => StateMachine.Read(static store => store.Digest());

    public async ValueTask DisposeAsync()
    {
        _beforeDispose?.Invoke();
        await Log.DisposeAsync();
        await StateMachine.DisposeAsync();
    }

    private sealed class EntryProducer(IReadOnlyList<BinaryLogEntry> entries) : ILogEntryProducer<BinaryLogEntry>
    {
        private int _next = -1;

        public BinaryLogEntry Current => entries[_next];

        public long RemainingCount => entries.Count - _next - 1;

        public ValueTask<bool> MoveNextAsync() => new(++_next < entries.Count);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
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
