using System.Collections.Concurrent;
using System.Diagnostics;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Log;

/// <summary>
/// RaftKV's own Raft log (docs/write-ahead-log.md): <see cref="SegmentedLog"/> for the entries, <see cref="TermVoteFile"/>
/// for the term and vote, <see cref="KvStateMachine"/> applying committed entries through its own apply path.
/// <para>
/// Why it derives from DotNext's <see cref="WriteAheadLog"/>: <see cref="IPersistentState.ConfigurationStorage"/> has an
/// internal setter, so no class outside DotNext can implement the interface by itself. This class re-implements every
/// other member of <see cref="IPersistentState"/>, <see cref="IAuditTrail{TEntry}"/> and <see cref="IAuditTrail"/>; the
/// base is an idle log over an empty folder (<c>wal-unused</c>) that never receives an append, and only its
/// <c>ConfigurationStorage</c> property (public on <see cref="WriteAheadLog"/>, set by <c>RaftCluster</c>) is used.
/// No non-public member of DotNext is touched.
/// </para>
/// <para>
/// One async gate (<see cref="_gate"/>) serializes term and vote changes, leader appends, follower appends and snapshot
/// installs: a leader append checks its term against the term it was elected in under the same gate a term change
/// takes (chaos bug 5), and nothing reads a half-done install (bug 6). The applier runs beside it, under
/// <see cref="_applyGate"/>, which installs also take. Compaction (dropping the log's prefix after a published snapshot)
/// is a task of its own, so that applies never wait for it. Reads for replication run beside all of them.
/// </para>
/// </summary>
internal sealed partial class RaftLog : WriteAheadLog, IPersistentState, IAuditTrail<IRaftLogEntry>, IReplicatedLog
{
    private readonly SegmentedLog _log;
    private readonly TermVoteFile _termFile;
    private readonly KvStateMachine _stateMachine;
    private readonly RaftLogOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    // Set when there may be committed entries to apply; the applier resets it before it reads the commit index. No spin
    // before blocking (SemaphoreSlim spins with sched_yield first: 5% of a follower's CPU under SET -c 50, with three
    // nodes sharing two cores).
    private readonly ManualResetEventSlim _applyWanted = new(false, spinCount: 0);
    private readonly SemaphoreSlim _compactTrigger = new(0, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ConcurrentDictionary<long, object> _contexts = new();
    private readonly Task _applier;
    private readonly Task _compactor;
    private TaskCompletionSource _applied = NewSignal();
    private TaskCompletionSource _appliedOnApplier = NewApplierSignal();

    private long _term;
    private ClusterMemberId? _vote;
    private long _electedTerm;
    private long _commitIndex;
    private long _matched;
    private long _lastHeardLeader;
    private long _compactedTo; // the snapshot the log was last compacted to
    private readonly Lock _leaderCommitLock = new();
    private long _leaderCommitTerm, _leaderCommitRequest; // the highest commit RaftCluster asked for as leader, in that term
    private Exception? _failure;

    private long _flushedAppends;
    private long _droppedTails;
    private long _rejectedLeaderAppends;
    private long _cutBatches;
    private long _heldSnapshots;

    private RaftLog(string directory, KvStateMachine stateMachine, RaftLogOptions options, ILogger logger, SegmentedLog log, TermVoteFile termFile)
        : base(new Options { Location = Path.Combine(directory, "wal-unused") }, IStateMachine.CreateNoOp(long.MaxValue))
    {
        _log = log;
        _termFile = termFile;
        _stateMachine = stateMachine;
        _options = options;
        _logger = logger;
        (_term, var vote) = termFile.Load();
        _vote = vote.Length == 0 ? null : new ClusterMemberId(vote);

        // Raft never needs the commit index durable: it is the snapshot's index after a restart, and the leader's next
        // request (or this node's first commit as a leader) brings it forward.
        _commitIndex = stateMachine.AppliedIndex;
        _matched = _commitIndex;
        _lastHeardLeader = Stopwatch.GetTimestamp();
        _applier = Task.Factory.StartNew(ApplyLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _compactor = Task.Run(CompactLoopAsync);
    }

    /// <summary>
    /// Opens the log in <paramref name="directory"/> over a restored <paramref name="stateMachine"/> and applies the rule
    /// at open: the log is kept after the snapshot only if it starts right after it or holds the snapshot's last entry
    /// with its term; otherwise it is reset to start after the snapshot (a crash between an install and its log drop).
    /// </summary>
    /// <exception cref="LogCorruptedException">The log is damaged, or starts after the snapshot (a gap).</exception>
    public static RaftLog Open(string directory, KvStateMachine stateMachine, RaftLogOptions? options = null, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        options ??= new RaftLogOptions();
        var log = SegmentedLog.Open(directory, options.Segments, logger);
        try
        {
            ApplyOpenRule(log, stateMachine, logger);
            return new RaftLog(directory, stateMachine, options, logger, log, new TermVoteFile(directory));
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    private static void ApplyOpenRule(SegmentedLog log, KvStateMachine stateMachine, ILogger logger)
    {
        if (stateMachine.PublishedSnapshot is not { } snapshot)
        {
            if (log.FirstIndex != 1 && !log.IsEmpty)
                throw new LogCorruptedException($"The log starts at index {log.FirstIndex} but there is no snapshot before it");
            return;
        }

        var (index, term) = (snapshot.Index, snapshot.Term);
        if (log.FirstIndex == index + 1 && (log.LastIndex >= index || log.IsEmpty))
            return;
        if (!log.IsEmpty && log.FirstIndex > index + 1)
            throw new LogCorruptedException($"The log starts at index {log.FirstIndex}, after a gap from the snapshot at {index}");
        if (!log.IsEmpty && log.FirstIndex <= index && log.LastIndex >= index && log.TermAt(index) == term)
        {
            log.DropPrefix(index);
            return;
        }

        LogResetAtOpen(logger, log.FirstIndex, log.LastIndex, index, term);
        log.Reset(index + 1);
    }

    /// <summary>The underlying storage (for tests and INFO).</summary>
    internal SegmentedLog Storage => _log;

    public long FlushedAppends => Interlocked.Read(ref _flushedAppends);

    public long DroppedTails => Interlocked.Read(ref _droppedTails);

    public long RejectedLeaderAppends => Interlocked.Read(ref _rejectedLeaderAppends);

    public long CutBatches => Interlocked.Read(ref _cutBatches);

    public long HeldSnapshots => Interlocked.Read(ref _heldSnapshots);

    public Exception? BackgroundFailure => Volatile.Read(ref _failure);

    public Action? BatchCut { get; set; }

    /// <summary>Tests hold the compaction here, after it chose the snapshot index it drops the log up to.</summary>
    internal Func<long, Task>? BeforeCompaction { get; set; }

    /// <summary>The snapshot index the log was last compacted to.</summary>
    internal long CompactedTo => Volatile.Read(ref _compactedTo);

    /// <summary>Time since this node last accepted an AppendEntries, commit or snapshot from a leader (or started).</summary>
    public TimeSpan SinceLeaderHeard => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHeardLeader));

    long IPersistentState.Term => Volatile.Read(ref _term);

    int IPersistentState.Version => ((IStateMachine)_stateMachine).Version;

    bool IAuditTrail.IsLogEntryLengthAlwaysPresented => true;

    long IAuditTrail.LastEntryIndex => _log.LastIndex;

    long IAuditTrail.LastCommittedEntryIndex => Volatile.Read(ref _commitIndex);

    /// <summary>The index of the last durable entry (the snapshot's when the log after it is empty).</summary>
    public new long LastEntryIndex => _log.LastIndex;

    /// <summary>The commit index: in memory only, re-derived after a restart.</summary>
    public new long LastCommittedEntryIndex => Volatile.Read(ref _commitIndex);

    /// <summary>The last index the applier handed to the state machine.</summary>
    public new long LastAppliedIndex => _stateMachine.AppliedIndex;

    Task IAuditTrail.InitializeAsync(CancellationToken token) => Task.CompletedTask;

    public long TermOf(long index)
    {
        try
        {
            return index >= _log.FirstIndex && index <= _log.LastIndex ? _log.TermAt(index) : 0;
        }
        catch (ArgumentOutOfRangeException)
        {
            return 0; // compacted or truncated meanwhile
        }
    }

    // _matched moves only after a follower's append is synced (a leader's after its own sync), and the term check keeps a
    // stale entry at the same index (one a deposed leader sent) from counting.
    public bool HoldsDurably(long index, long term)
    {
        if (index <= Volatile.Read(ref _commitIndex))
            return true;
        // _matched read again after the term: a truncation between the two lowers it first (Truncate), so an entry
        // rewritten meanwhile, not yet synced, is not taken for the one matched before.
        return term > 0 && index <= Volatile.Read(ref _matched) && TermOf(index) == term && index <= Volatile.Read(ref _matched);
    }

    // What the gate serializes writes the disk (and fdatasyncs it): never on a socket event thread, from which RaftCluster
    // calls with inline socket completions (Execution/SocketThreads.cs); every other socket of the node would wait.
    private async ValueTask EnterGateAsync(CancellationToken token)
    {
        await Execution.SocketThreads.Leave();
        await _gate.WaitAsync(token).ConfigureAwait(false);
    }

    // A candidate's new term: the only term in which this node may lead and append entries of its own (bug 5).
    async ValueTask<long> IPersistentState.IncrementTermAsync(ClusterMemberId member, CancellationToken token)
    {
        await EnterGateAsync(token).ConfigureAwait(false);
        try
        {
            var term = _term + 1;
            SaveTermAndVote(term, member);
            Volatile.Write(ref _electedTerm, term);
            return term;
        }
        finally
        {
            _gate.Release();
        }
    }

    // A higher term from another node; RaftCluster calls it before stepping down, so this node leads no longer.
    async ValueTask IPersistentState.UpdateTermAsync(long term, bool resetLastVote, CancellationToken token)
    {
        await EnterGateAsync(token).ConfigureAwait(false);
        try
        {
            if (term == _term && !resetLastVote)
                return;
            SaveTermAndVote(term, resetLastVote ? null : _vote);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Durable before RaftCluster sends the vote (it replies after this returns).
    async ValueTask IPersistentState.UpdateVotedForAsync(ClusterMemberId member, CancellationToken token)
    {
        await EnterGateAsync(token).ConfigureAwait(false);
        try
        {
            SaveTermAndVote(_term, member);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// No vote in this term or the vote is <paramref name="member"/>; and not while a leader was heard less than one
    /// election timeout ago: a follower that acknowledged a round keeps refusing as long as the leader's lease counts
    /// that acknowledgement, also right after it restarted (it then starts as if it had just heard a leader).
    /// </summary>
    bool IPersistentState.IsVotedFor(in ClusterMemberId member)
    {
        if (SinceLeaderHeard < _options.ElectionTimeoutMin)
            return false;
        var vote = _vote;
        return vote is null || vote.GetValueOrDefault().Equals(member);
    }

    // The caller holds the gate.
    private void SaveTermAndVote(long term, ClusterMemberId? vote)
    {
        Span<byte> bytes = stackalloc byte[ClusterMemberId.Size];
        if (vote is { } id)
            id.Format(bytes);
        _termFile.Save(term, vote is null ? [] : bytes);
        _vote = vote;
        Volatile.Write(ref _term, term);
    }

    private void HeardLeader() => Volatile.Write(ref _lastHeardLeader, Stopwatch.GetTimestamp());

    private Exception Failed(Exception e)
    {
        if (Interlocked.CompareExchange(ref _failure, e, null) is null)
            LogFailed(e);
        return e;
    }

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure)
            throw new LogFailedException("The Raft log failed earlier and refuses every operation until the node restarts", failure);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // DotNext's WriteAheadLog disposes asynchronously through DisposeAsyncCore and then calls Dispose(false), and RaftHost
    // awaits DisposeAsync: the release is done in both paths (only Dispose(true) did it, so an awaited disposal left the
    // applier and compactor running, the segments open and the waits for an apply waiting).
    protected override async ValueTask DisposeAsyncCore()
    {
        if (BeginRelease())
        {
            await Task.WhenAll(_applier, _compactor).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            EndRelease();
        }

        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && BeginRelease())
        {
            try
            {
                Task.WaitAll([_applier, _compactor], TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // The applier's or compactor's failure is recorded in _failure; disposal goes on.
            }

            EndRelease();
        }

        base.Dispose(disposing);
    }

    private bool BeginRelease()
    {
        if (_lifetime.IsCancellationRequested)
            return false;
        _lifetime.Cancel();
        return true;
    }

    // After the applier and compactor stopped (or 10 s): the segments close and every wait for an apply fails.
    private void EndRelease()
    {
        _log.Dispose();
        _applied.TrySetException(new ObjectDisposedException(nameof(RaftLog)));
        CompleteOnPool(_appliedOnApplier, new ObjectDisposedException(nameof(RaftLog)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log [{First}, {Last}] does not hold the snapshot's last entry ({Index}, term {Term}): reset to start after the snapshot")]
    private static partial void LogResetAtOpen(ILogger logger, long first, long last, long index, long term);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The Raft log failed; it refuses every operation until the node restarts")]
    private partial void LogFailed(Exception e);
}
