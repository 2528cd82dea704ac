using System.Collections.Concurrent;
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.Raft;

/// <summary>
/// Owns the Raft side of the node: the state machine, DotNext's write-ahead log and the <see cref="RaftCluster"/>
/// over TCP (<see cref="MemberOnlyTransport"/> in plaintext). Started before the RESP and gRPC listeners accept clients and stopped after them.
/// </summary>
internal sealed partial class RaftHost : IHostedService, IAsyncDisposable
{
    /// <summary>Metadata key under which every member publishes the RESP endpoint clients should use.</summary>
    public const string RespMetadataKey = "resp";

    private readonly NodeOptions _options;
    private readonly ILoggerFactory _loggerFactory;

    // What DotNext logs through: each repeated warning (a failed request to a dead member, several a second) once per interval.
    private readonly Diagnostics.RepeatSummarizingLoggerFactory _raftLoggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<EndPoint, string> _respEndpoints = new();
    private RaftCluster? _cluster;
    private IReplicatedLog? _wal;
    private KvStateMachine? _stateMachine;

    private readonly DiskSpaceGuard _disk;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly CancellationTokenSource _watchdogStop = new();
    private Task _watchdog = Task.CompletedTask;

    /// <summary>Exit code of a node stopped because its write-ahead log failed (EX_SOFTWARE).</summary>
    public const int LogFailedExitCode = 70;

    private readonly SnapshotOffers _offers;
    private readonly LeaderLease _lease;
    private readonly Diagnostics.NodeLogScope _logScope;
    private readonly Security.NodeTls _tls;

    // Tests' hooks into the state machine, applied before it restores (none in a real node).
    private readonly Action<KvStateMachine>[] _stateMachineSetup;

    public RaftHost(
        IOptions<NodeOptions> options, DiskSpaceGuard disk, SnapshotOffers offers, IHostApplicationLifetime lifetime, ILoggerFactory loggerFactory,
        IEnumerable<Action<KvStateMachine>> stateMachineSetup, Security.NodeTls tls, Diagnostics.NodeLogScope logScope)
    {
        _logScope = logScope;
        _tls = tls;
        _offers = offers;
        _stateMachineSetup = [.. stateMachineSetup];
        _disk = disk;
        _lifetime = lifetime;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _lease = new LeaderLease(TimeSpan.FromMilliseconds(_options.ElectionTimeoutMinMs / Math.Max(1.0, _options.LeaseClockDriftBound)));
        _raftLoggerFactory = new Diagnostics.RepeatSummarizingLoggerFactory(loggerFactory, TimeProvider.System, TimeSpan.FromSeconds(Math.Max(1, _options.LogRepeatIntervalSeconds)));
        _logger = loggerFactory.CreateLogger<RaftHost>();
        RaftEndPoint = EndpointParser.ParseIp(_options.RaftEndpoint);
        _configuredPeers = ConfiguredPeers(_options.Members, RaftEndPoint);
    }

    public IPEndPoint RaftEndPoint { get; }

    public RaftCluster Cluster => _cluster ?? throw new InvalidOperationException("The Raft host is not started");

    public KvStateMachine StateMachine => _stateMachine ?? throw new InvalidOperationException("The Raft host is not started");

    public IReplicatedLog Log => _wal ?? throw new InvalidOperationException("The Raft host is not started");

    public bool IsStarted => _cluster is not null;

    /// <summary>True while this node is the leader of the current term.</summary>
    public bool IsLeader => _cluster is { } c && !c.LeadershipToken.IsCancellationRequested;

    private long _leaseReads;
    private long _roundReads;
    private long _leaderChanges;

    /// <summary>
    /// Leader changes this node saw (a new leader, or none) since it started: counted by the handler subscribed before
    /// the Raft node starts, so a change that comes before the metrics exporter or any other listener exists counts.
    /// </summary>
    public long LeaderChanges => Interlocked.Read(ref _leaderChanges);

    /// <summary>Reads answered under the leader lease, and reads that needed a replication round.</summary>
    public (long Lease, long Round) ReadCounts => (Interlocked.Read(ref _leaseReads), Interlocked.Read(ref _roundReads));

    /// <summary>How long the lease lasts after the start of a round a majority acknowledged.</summary>
    public TimeSpan LeaseDuration => _lease.Duration;

    /// <summary>
    /// True while this node leads and a majority acknowledged a replication round that began less than
    /// <see cref="LeaseDuration"/> ago (<see cref="LeaderLease"/>): each of those followers refuses to vote until its own
    /// election timeout (at least ElectionTimeoutMinMs) has passed since it received that round, so no other leader can
    /// be elected before the lease ends, as long as no clock runs faster than the drift bound allows. Checked against
    /// the monotonic clock here, not through DotNext's lease token alone: that token is cancelled by a timer, which
    /// fires late when the thread pool is starved (a paused or overloaded process), and a late timer would stretch the
    /// lease. A lease past half its life is renewed in the background by one forced round when asked for, so a leader
    /// serving reads keeps it without a round per read; a lapsed one is renewed by the round the next read takes, so an
    /// idle leader sends no extra rounds.
    /// </summary>
    public bool HoldsLease()
    {
        if (!_options.LeaderLease || _cluster is not { } cluster)
            return false;
        var leadership = cluster.LeadershipToken;
        if (leadership.IsCancellationRequested || !cluster.TryGetLeaseToken(out var token) || token.IsCancellationRequested)
            return false;
        // A lapsed lease is not renewed here: the read that finds it lapsed takes a round (CommandExecutor.BarrierAsync),
        // which renews it; renewing here too would send a second round for the same read.
        if (_lease.SinceAcknowledged(leadership) is not { } since || since >= _lease.Duration)
            return false;
        if (since > _lease.Duration / 2)
            RenewLeaseSoon(cluster, leadership);
        return true;
    }

    /// <summary>Marks the moment before a replication round (a forced round, a write); confirm it with <see cref="ConfirmRound"/> once it reached a majority.</summary>
    public LeaderLease.Round BeginRound() => LeaderLease.Begin(_cluster is { } c ? c.LeadershipToken : new CancellationToken(canceled: true));

    /// <summary>A round begun with <see cref="BeginRound"/> reached a majority: the lease runs from its start.</summary>
    public void ConfirmRound(LeaderLease.Round round) => _lease.Confirm(round);

    internal void CountRead(bool lease) => Interlocked.Increment(ref lease ? ref _leaseReads : ref _roundReads);

    /// <summary>Time since this node last heard from a leader (a follower) or had a round acknowledged (the leader).</summary>
    public TimeSpan SinceLeaderContact => _cluster is not { } c
        ? TimeSpan.MaxValue
        : IsLeader ? _lease.SinceAcknowledged(c.LeadershipToken) ?? TimeSpan.MaxValue : Log.SinceLeaderHeard;

    private int _renewing;

    private void RenewLeaseSoon(RaftCluster cluster, CancellationToken leadership)
    {
        if (Interlocked.Exchange(ref _renewing, 1) == 0)
            _ = RenewLeaseAsync(cluster, leadership);
    }

    private async Task RenewLeaseAsync(RaftCluster cluster, CancellationToken leadership)
    {
        await Task.Yield();
        try
        {
            var round = LeaderLease.Begin(leadership);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(leadership);
            timeout.CancelAfter(_lease.Duration);
            await cluster.ForceReplicationAsync(timeout.Token).ConfigureAwait(false);
            _lease.Confirm(round);
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Not renewed: the lease lapses and the next read takes a round.
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }


    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = Path.GetFullPath(_options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        RefuseRemovedDataDirectory(dataDirectory);
        var snapshots = new DirectoryInfo(Path.Combine(dataDirectory, "snapshots"));
        var fresh = !snapshots.Exists && !Directory.Exists(Path.Combine(dataDirectory, "wal")) && !Directory.Exists(Path.Combine(dataDirectory, "log"));
        snapshots.Create();
        if (!string.IsNullOrEmpty(_options.RestoreFrom))
        {
            if (fresh)
                LogRestored(Backup.Install(_options.RestoreFrom, snapshots), _options.RestoreFrom);
            else
                LogRestoreSkipped(_options.RestoreFrom, dataDirectory);
        }

        _stateMachine = new KvStateMachine(
            snapshots, _options.SnapshotIntervalEntries, _loggerFactory.CreateLogger<KvStateMachine>(), snapshotIntervalBytes: _options.SnapshotIntervalBytes, offers: _offers,
            downloadTls: _options.Tls.Snapshots ? _tls.ClientOptions(null) : null);
        foreach (var setup in _stateMachineSetup)
            setup(_stateMachine);
        await _stateMachine.RestoreAsync(cancellationToken).ConfigureAwait(false);

        _wal = await OpenLogAsync(dataDirectory, cancellationToken).ConfigureAwait(false);

        _membership = new MembershipStorage(Path.Combine(dataDirectory, MembershipStorage.FileName));
        var configuration = NewConfiguration(_membership);
        configuration.Metadata[RespMetadataKey] = _options.RespAdvertised;
        if (await SeedMembershipAsync(_membership, dataDirectory, fresh, cancellationToken).ConfigureAwait(false) && ((IPersistentState)_wal).Term > 0)
        {
            // DotNext starts the only member of a configuration as the leader in the log's current term, without an
            // election. RaftKV's log takes a leader's appends only in a term the node raised itself to as a candidate
            // (chaos bug 5), so the node raises it here, as the candidate it would have been, and wins it alone.
            // Without this a one-node cluster whose term is not 0 (shrunk from more members, or carried over from
            // DotNext's log) refused every write. Term 0 (a new or restored one-node cluster) needs none: no node has
            // raised it, and raising it there made RAFTKV.MEMBER.ADD time out in MembershipTests'
            // RestoreFromBackup_ThenGrowTo3 (not yet understood; see the issue 17 note).
            await ((IPersistentState)_wal).IncrementTermAsync(ClusterMemberId.FromEndPoint(RaftEndPoint), cancellationToken).ConfigureAwait(false);
        }

        _cluster = new RaftCluster(configuration) { AuditTrail = _wal };

        var cluster = _cluster;
        _logScope.TermFrom(() => cluster.Term);
        _wal.BatchCut = () => _ = ForceReplicationSoonAsync(cluster);
        _cluster.LeaderChanged += OnLeaderChanged;
        _cluster.MemberAdded += OnMemberAdded;
        _respEndpoints[RaftEndPoint] = _options.RespAdvertised;
        await _cluster.StartAsync(cancellationToken).ConfigureAwait(false);

        LogStarted(RaftEndPoint.ToString(), _options.RespAdvertised, dataDirectory);

        LogRecovered(_wal.LastEntryIndex, _wal.LastCommittedEntryIndex, _stateMachine.SnapshotIndex);
        _watchdog = WatchLogAsync(_wal, dataDirectory, _watchdogStop.Token);
        _removalWatch = WatchRemovalAsync(_watchdogStop.Token);
    }

    // A log whose applier or compaction failed refuses every append, commit and read from then on: the node would stay
    // up, answer nothing and never catch up (what chaos bug 6 did to DotNext's log). Stopping the process with a non-zero
    // exit code lets a supervisor restart it; the restart reopens the log from its files.
    private async Task WatchLogAsync(IReplicatedLog wal, string dataDirectory, CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (wal.BackgroundFailure is not { } failure)
                    continue;
                LogLogFailed(dataDirectory, failure);
                Environment.ExitCode = LogFailedExitCode;
                _lifetime.StopApplication();
                return;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    // The rest of a cut batch goes in the next round; started off the replication path, errors ignored (a lost
    // leadership or a shutdown ends the rounds anyway, and the heartbeat would carry on).
    private static async Task ForceReplicationSoonAsync(RaftCluster cluster)
    {
        await Task.Yield();
        try
        {
            await cluster.ForceReplicationAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private readonly LeaderEpoch _leaderEpoch = new();

    /// <summary>Cancelled when the leader changes (or is lost): work bound to the current leader stops waiting.</summary>
    public CancellationToken LeaderChangeToken => _leaderEpoch.Token;

    private void OnLeaderChanged(ICluster cluster, IClusterMember? leader)
    {
        Interlocked.Increment(ref _leaderChanges);
        var epoch = _leaderEpoch.Advance();
        LeaderEpochChanged?.Invoke(leader is { IsRemote: false }, epoch);
        if (leader is null)
        {
            LogNoLeader();
            return;
        }

        LogLeaderChanged(leader.EndPoint.ToString() ?? "?", Cluster.Term);
        if (!leader.IsRemote && _cluster is { } self)
            _ = ResolveMembersAsync(self);
        if (leader.IsRemote)
            _ = ResolveRespEndpointAsync(leader);

        // Every member's RESP address, not only the leader's, is reported by SENTINEL REPLICAS/SENTINELS, ROLE and INFO
        // replication: learnt now, once a leader makes the members reachable, rather than on the first such question.
        foreach (var member in Cluster.Members)
        {
            if (member.IsRemote && !_respEndpoints.ContainsKey(member.EndPoint))
                _ = ResolveRespEndpointAsync(member);
        }
    }

    /// <summary>
    /// Raised on every leader change: whether this node is now the leader, and a token cancelled when this epoch ends.
    /// </summary>
    public event Action<bool, CancellationToken>? LeaderEpochChanged;

    /// <summary>The RESP endpoint of the current leader, or null when no leader is known (or not yet resolved).</summary>
    public string? LeaderRespEndpoint
    {
        get
        {
            if (_cluster?.Leader is not { } leader)
                return null;
            if (_respEndpoints.TryGetValue(leader.EndPoint, out var resp))
                return resp;
            _ = ResolveRespEndpointAsync(leader);
            return null;
        }
    }

    /// <summary>
    /// The RESP endpoint a member advertises, from the cache of members' metadata, or null until it is known (a
    /// lookup is then started in the background, so a later call finds it).
    /// </summary>
    public string? RespEndpointOf(IClusterMember member)
    {
        if (_respEndpoints.TryGetValue(member.EndPoint, out var resp))
            return resp;
        _ = ResolveRespEndpointAsync(member);
        return null;
    }

    /// <summary>
    /// Resolves the leader's RESP endpoint, asking the leader for its metadata when it is not cached. A leader that
    /// was just elected may not answer at once: retries for up to two seconds while a leader is known.
    /// </summary>
    public async ValueTask<string?> GetLeaderRespEndpointAsync(CancellationToken token)
    {
        var deadline = Environment.TickCount64 + 2000;
        while (_cluster?.Leader is { } leader)
        {
            if (_respEndpoints.TryGetValue(leader.EndPoint, out var resp))
                return resp;
            if (await ResolveRespEndpointAsync(leader, refresh: true, token).ConfigureAwait(false) is { } resolved)
                return resolved;
            if (Environment.TickCount64 > deadline)
                break;
            await Task.Delay(50, token).ConfigureAwait(false);
        }

        return null;
    }

    internal async Task<string?> ResolveRespEndpointAsync(IClusterMember member, bool refresh = false, CancellationToken token = default)
    {
        try
        {
            var metadata = await member.GetMetadataAsync(refresh, token).ConfigureAwait(false);
            if (metadata.TryGetValue(RespMetadataKey, out var resp))
            {
                _respEndpoints[member.EndPoint] = resp;
                return resp;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogMetadataFailed(member.EndPoint.ToString() ?? "?", e.Message);
        }

        return null;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _watchdogStop.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
        await _removalWatch.ConfigureAwait(false);
        if (_cluster is { } cluster)
        {
            cluster.LeaderChanged -= OnLeaderChanged;
            try
            {
                await cluster.StopAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException e)
            {
                // DotNext 6.12's StopAsync cancels the state transition in flight (a follower's election timer, an
                // outstanding vote or heartbeat) and can throw that cancellation out of the stop itself, or the host's
                // stop deadline passed. Either way the member stops: the log is durable per write and is closed by
                // DisposeAsync. Rethrown, it aborted the process on SIGTERM or SHUTDOWN (exit 134/143 instead of 0).
                LogStopInterrupted(e.Message, cancellationToken.IsCancellationRequested);
            }

            await SnapshotBeforeStopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private volatile bool _skipSnapshotOnStop;

    /// <summary>SHUTDOWN NOSAVE: this process's stop takes no snapshot.</summary>
    public void SkipSnapshotOnStop() => _skipSnapshotOnStop = true;

    // Once the member has left Raft (a leader stops heartbeating, so the others elect a new one at once instead of
    // forwarding writes to a node whose RESP port is already closed: the server stops before the hosted services), while
    // the log's applier still runs (until DisposeAsync): the snapshot is of the final applied state. Redis saves on
    // SIGTERM when it has save points; RaftKV's log is always durable, so this only spares the restart applying the
    // tail again (KvStateMachine.SnapshotBeforeStopAsync says when it is worth it).
    private async Task SnapshotBeforeStopAsync(CancellationToken token)
    {
        if (!_options.SnapshotOnStop || _skipSnapshotOnStop || _stateMachine is not { } machine || _wal is not Log.RaftLog log)
            return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (await machine.SnapshotBeforeStopAsync(log.WakeApplier, token).ConfigureAwait(false) is { } index)
                LogSnapshotBeforeStop(index, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            LogSnapshotBeforeStopCut((long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at index {Index} written before stopping, in {Milliseconds} ms")]
    private partial void LogSnapshotBeforeStop(long index, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The snapshot before stopping did not finish within the host's stop deadline ({Milliseconds} ms); the restart applies the log's tail instead")]
    private partial void LogSnapshotBeforeStopCut(long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Raft stopped while a state transition was in flight ({Reason}; host stop deadline passed: {DeadlinePassed})")]
    private partial void LogStopInterrupted(string reason, bool deadlinePassed);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is { } cluster)
            await cluster.DisposeAsync().ConfigureAwait(false);
        if (_wal is { } wal)
            await wal.DisposeAsync().ConfigureAwait(false);
        if (_stateMachine is { } sm)
            await sm.DisposeAsync().ConfigureAwait(false);
        _membership?.Dispose();
        _watchdogStop.Dispose();
        _raftLoggerFactory.Dispose();
        _cluster = null;
        _wal = null;
        _stateMachine = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Raft node started on {Raft}, RESP {Resp}, data in {Data}")]
    private partial void LogStarted(string raft, string resp, string data);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Raft log opened: last entry {Last}, committed {Committed}, snapshot {Snapshot}")]
    private partial void LogRecovered(long last, long committed, long snapshot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restored a new single-node cluster from backup {File} at index {Index}")]
    private partial void LogRestored(long index, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RestoreFrom={File} ignored: {Data} already holds a node's data")]
    private partial void LogRestoreSkipped(string file, string data);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The write-ahead log in {Wal} failed its integrity check; the node will not serve possibly wrong data. Restore this node from a backup or remove its data directory so it rejoins as a new member")]
    private partial void LogCorruptLog(string wal, Exception e);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The write-ahead log of data directory {Data} failed in the background and refuses every append, commit and read from now on; stopping the node (exit code 70) so that it restarts from its data")]
    private partial void LogLogFailed(string data, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Leader is {Leader} in term {Term}")]
    private partial void LogLeaderChanged(string leader, long term);

    [LoggerMessage(Level = LogLevel.Information, Message = "No Raft leader")]
    private partial void LogNoLeader();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the metadata of {Member}: {Reason}")]
    private partial void LogMetadataFailed(string member, string reason);
}
