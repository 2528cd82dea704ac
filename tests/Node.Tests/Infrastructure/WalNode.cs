using System.Globalization;
using System.Text;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Configuration;
using RaftKV.Node.Log;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>
/// One node's log and state machine without the network: a <see cref="DurableWriteAheadLog"/> (or RaftKV's own
/// <see cref="RaftLog"/>, <see cref="LogEngine"/>) over a <see cref="KvStateMachine"/> in a directory, driven the way
/// RaftCluster drives them (AppendEntries at an index, snapshot installs, commits), for tests of the logs' fixes (chaos
/// bugs 4, 5, 6) and of snapshots.
/// </summary>
internal sealed class WalNode : IAsyncDisposable
{
    private readonly Action? _beforeDispose;

    private WalNode(KvStateMachine stateMachine, IReplicatedLog log, Action? beforeDispose)
    {
        StateMachine = stateMachine;
        Log = log;
        _beforeDispose = beforeDispose;
    }

    public KvStateMachine StateMachine { get; }

    public IReplicatedLog Log { get; }

    /// <summary>DotNext's log, when that is the engine (its flusher is DotNext's own).</summary>
    public DurableWriteAheadLog? DotNextLog => Log as DurableWriteAheadLog;

    /// <summary>The log as RaftCluster sees it (terms, votes, leader appends).</summary>
    public IPersistentState State => Log;

    /// <param name="wrap">What the WAL sees instead of the state machine itself (a test double around it).</param>
    /// <param name="options">The WAL's options for a location (default: the location only).</param>
    /// <param name="beforeDispose">Runs before the WAL is disposed (e.g. to release a paused background task).</param>
    public static async Task<WalNode> OpenAsync(
        string directory,
        long snapshotInterval = 1_000_000,
        int sliceKeys = KvStateMachine.DefaultSliceKeys,
        Func<IStateMachine, IStateMachine>? wrap = null,
        Func<string, WriteAheadLog.Options>? options = null,
        Action? beforeDispose = null,
        LogEngine engine = LogEngine.DotNext,
        RaftLogOptions? raftLogOptions = null)
    {
        var snapshots = new DirectoryInfo(Path.Combine(directory, "snapshots"));
        snapshots.Create();
        var stateMachine = new KvStateMachine(snapshots, snapshotInterval, NullLogger.Instance, sliceKeys);
        await stateMachine.RestoreAsync();
        if (engine == LogEngine.RaftKV)
        {
            var raftLog = RaftLog.Open(Path.Combine(directory, "log"), stateMachine, raftLogOptions ?? new RaftLogOptions { ElectionTimeoutMin = TimeSpan.Zero });
            return new WalNode(stateMachine, raftLog, beforeDispose);
        }

        var location = Path.Combine(directory, "wal");
        var log = new DurableWriteAheadLog(options?.Invoke(location) ?? new WriteAheadLog.Options { Location = location }, wrap?.Invoke(stateMachine) ?? stateMachine, durableAppends: true, diskLow: static () => false);
        await log.InitializeAsync();
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

    public async Task CommitAsync(long index)
    {
        await Log.CommitAsync(index);
        await Log.WaitForApplyAsync(index);
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
