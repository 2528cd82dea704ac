namespace RaftKV.Node.Configuration;

/// <summary>
/// Everything a node is told at start, bound from the "RaftKV" configuration section
/// (appsettings.json, environment variables <c>RAFTKV__...</c>, command line <c>--RaftKV:...</c>).
/// Defaults give the embedded single-node cluster: RESP on 6379, Raft on 7379, data in ./data.
/// </summary>
public sealed class NodeOptions
{
    public const string SectionName = "RaftKV";

    /// <summary>A name for logs and INFO; defaults to the Raft endpoint.</summary>
    public string NodeId { get; set; } = string.Empty;

    /// <summary>host:port the RESP server listens on.</summary>
    public string RespEndpoint { get; set; } = "127.0.0.1:6379";

    /// <summary>
    /// host:port that other nodes and clients should use to reach this node's RESP server (MOVED replies,
    /// forwarding, INFO replication). Defaults to <see cref="RespEndpoint"/>.
    /// </summary>
    public string? RespAdvertisedEndpoint { get; set; }

    /// <summary>host:port of DotNext's Raft TCP transport. Must be an IP address.</summary>
    public string RaftEndpoint { get; set; } = "127.0.0.1:7379";

    /// <summary>host:port for the gRPC API (HTTP/2 without TLS); empty disables it.</summary>
    public string GrpcEndpoint { get; set; } = string.Empty;

    /// <summary>
    /// The largest gRPC message the node receives or sends, in bytes (a request beyond it fails with RESOURCE_EXHAUSTED
    /// before it is read into memory). gRPC's own default is 4 MiB; 64 MiB leaves room for large values and pages.
    /// </summary>
    public int GrpcMaxMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Idle time after which the gRPC server pings an HTTP/2 connection (keep-alive), and closes it when no answer comes
    /// within as long again; 0 disables the pings.
    /// </summary>
    public int GrpcKeepAliveMs { get; set; } = 30_000;

    /// <summary>
    /// Socket completions run on .NET's socket event threads and Kestrel runs RESP and gRPC code right after them, with
    /// no hop to the thread pool (Execution/SocketThreads.cs); false (the default) keeps .NET's dispatch to the pool.
    /// Off by default: beside other CPU-bound work a follower's relayed pipelines ran 3x slower (more event threads do
    /// not help: work bound to a preempted event thread cannot move, likely). The environment variable
    /// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS, when set, decides instead. With <see cref="RespEventLoops"/> above 0
    /// RESP connections are not on .NET's socket engine: this touches the Raft, relay, gRPC and HTTP sockets only.
    /// </summary>
    public bool InlineSocketCompletions { get; set; }

    /// <summary>
    /// Event loops serving RESP connections (Resp/EventLoop: one thread and one epoll set each, Redis's shape); a
    /// connection is read, run and answered on its loop's thread when its command can answer at once. 0 serves RESP
    /// through Kestrel's socket transport instead (also on systems other than Linux, which have no epoll).
    /// </summary>
    public int RespEventLoops { get; set; } = 1;

    /// <summary>
    /// Raft endpoints of the initial members, this node included, used only to bootstrap a brand-new
    /// cluster. Empty means a one-node cluster of this node. A node that has data uses the membership
    /// stored in its data directory instead.
    /// </summary>
    public List<string> Members { get; set; } = [];

    /// <summary>
    /// Start as a node waiting to be added to a running cluster (RAFTKV.MEMBER.ADD on its leader): with an empty data
    /// directory and no <see cref="Members"/>, the node never elects itself; it catches up and votes once the cluster's
    /// leader has added it. Ignored once the data directory holds a membership (a restart uses the stored one).
    /// </summary>
    public bool Join { get; set; }

    /// <summary>
    /// Replication rounds the leader gives a node being added to catch up (from the log, or by snapshot) before the
    /// change is refused; one round carries at most <see cref="ReplicationBatchBytes"/>.
    /// </summary>
    public int MemberWarmupRounds { get; set; } = 100;

    /// <summary>How long RAFTKV.MEMBER.ADD/REMOVE and RAFTKV.LEADER.TRANSFER may take before they answer an error.</summary>
    public int MembershipChangeTimeoutMs { get; set; } = 60_000;

    /// <summary>
    /// How often the leader asks each member for its commit, applied and last log index (the per-member lag metrics
    /// and RAFTKV.MEMBERS' match_index); at least 100.
    /// </summary>
    public int MemberProgressIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Heap each node gives the applied changes it keeps for gRPC Watch, counted as the heap they really hold: a change
    /// costs its key, value and previous value plus about 12 bytes. A watch that starts before what is kept is answered
    /// OUT_OF_RANGE. At least 1 MiB. The default, 64 MiB, keeps about 1.9 million small changes (a SET of a 16-byte key
    /// to a 3-byte value over another is a 34-byte record): 5 minutes of 4,000 writes/s, the interval at which
    /// Kubernetes has etcd compact its history, and hours at a config or lock store's rate, for a watcher to resume after a disconnect or a leader change. Every
    /// node keeps its own history, so a larger value costs that much RAM on each; etcd keeps history until compacted.
    /// </summary>
    public long WatchHistoryBytes { get; set; } = 64L << 20;

    /// <summary>Holds the write-ahead log, snapshots and the membership file.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Lower bound of the randomized election timeout. DotNext's 150 ms default flaps on 2-core machines under
    /// load. 600-1200 ms with a 450 ms request timeout: failover (leader kill -9 to the first acknowledged write)
    /// 1.4 s median, against 2.3 s at 1000-2000 / 900 (scripts/failover-probe.sh, same run). The longer timeouts were
    /// needed while a lagging follower got its whole backlog in one request (chaos bug 2); requests are bounded now
    /// (<see cref="ReplicationBatchBytes"/>) and large snapshots are downloaded outside them.
    /// </summary>
    public int ElectionTimeoutMinMs { get; set; } = 600;

    public int ElectionTimeoutMaxMs { get; set; } = 1200;

    /// <summary>
    /// Timeout of one Raft RPC. It must stay well below <see cref="ElectionTimeoutMinMs"/>: DotNext's pre-vote and
    /// vote rounds wait for every member, so a paused or partitioned leader blocks elections until its requests time
    /// out. Every request fits in it: AppendEntries carry at most <see cref="ReplicationBatchBytes"/>, and a snapshot
    /// above <see cref="SnapshotInlineBytes"/> travels as a manifest.
    /// </summary>
    public int RaftRequestTimeoutMs { get; set; } = 450;

    /// <summary>
    /// Most payload bytes one AppendEntries carries to a follower (at least one entry). A lagging follower catches
    /// up over several requests, each of which must fit in <see cref="RaftRequestTimeoutMs"/>.
    /// </summary>
    public long ReplicationBatchBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Bytes past the log's last record written with zeros and synced in the background, so an append's fdatasync
    /// allocates no blocks (three nodes' syncs on one ext4 disk: p50 151-165 against 188-208 us). 0: appends fill the
    /// preallocated sparse segment as they go.
    /// </summary>
    public long LogZeroAheadBytes { get; set; } = 4L << 20;

    public int RaftConnectTimeoutMs { get; set; } = 400;

    /// <summary>
    /// On the plaintext Raft transport, read a Raft connection only from a member: one that proves it holds the cluster
    /// secret, or comes from a member's address (see <see cref="Raft.MemberOnlyTransport"/>); any other is closed
    /// unread. Off: DotNext's TCP transport reads any peer that reaches the Raft port (what builds before this one
    /// speak). Every member must have the same value. Under Tls:Raft the member certificate decides instead.
    /// </summary>
    public bool RaftMembersOnly { get; set; } = true;

    /// <summary>
    /// The chunk size of a DotNext log (<c>data/wal</c>, written by releases before RaftKV's own log) that is carried over
    /// at start: the value it was written with.
    /// </summary>
    public int WalChunkSizeBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Writes are refused (MISCONF) while less than this is free on the data directory's filesystem, so that the log's
    /// appends, snapshots and a snapshot download still find room instead of failing mid-way.
    /// </summary>
    public long MinFreeDiskBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Most bytes of replies a client may leave unread (queued, not yet taken by its socket) before the node closes
    /// it, as Redis's <c>client-output-buffer-limit normal</c> hard limit; 0 = no limit. Redis has none for normal
    /// clients; 256 MB is kept so that one client that pipelines without ever reading cannot make the node, which
    /// also holds the whole dataset and the Raft log, run out of memory, while any reply Redis allows (a string is
    /// at most 512 MB, but a reply that large is rare) or pipeline a test suite sends stays far below it.
    /// </summary>
    public long OutputBufferLimitBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// The same for a client subscribed to any channel or pattern (Redis's <c>client-output-buffer-limit pubsub</c>
    /// hard limit, 32 MB): a subscriber that stops reading is closed instead of queueing messages without bound.
    /// Redis's soft limit (8 MB for 60 s) is not applied. 0 = no limit.
    /// </summary>
    public long PubSubOutputBufferLimitBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// On a graceful stop (SIGTERM, SHUTDOWN), snapshot first when the entries applied since the last snapshot hold at
    /// least 64 KiB and a tenth of its size, so the restart loads the state instead of applying them again.
    /// </summary>
    public bool SnapshotOnStop { get; set; } = true;

    /// <summary>Take a snapshot (and compact the log) after this many applied entries.</summary>
    public long SnapshotIntervalEntries { get; set; } = 50_000;

    /// <summary>
    /// Snapshots larger than this go to a lagging follower as a manifest, and the follower downloads the file from the
    /// leader's <see cref="SnapshotTransferEndpoint"/>; smaller ones travel inside DotNext's InstallSnapshot, which must
    /// complete (send, fsync, load) within <see cref="RaftRequestTimeoutMs"/>.
    /// </summary>
    public long SnapshotInlineBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Where this node serves its snapshot files to followers (HTTP). Empty (default): the Raft endpoint's address on
    /// a port the OS chooses (each manifest names the actual URL); set a fixed ip:port where firewalls need one.
    /// </summary>
    public string SnapshotTransferEndpoint { get; set; } = string.Empty;

    /// <summary>
    /// Also take a snapshot once the entries applied since the last one hold this many bytes, or as many as the last
    /// snapshot file if that is larger: group commit packs hundreds of commands into one entry, and 1M small SETs
    /// (5,500 entries) left 80 MiB of log on each node under the entry count alone. DotNext's log kept it memory-mapped;
    /// RaftKV's own keeps only its latest appends in memory, so this bounds the log on disk and a restart's replay.
    /// </summary>
    public long SnapshotIntervalBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Forward (default): a follower relays commands to the leader. Redirect: answer -MOVED.</summary>
    public FollowerMode FollowerMode { get; set; } = FollowerMode.Forward;

    /// <summary>
    /// Serve linearizable reads on the leader under a lease instead of a replication round per read: for
    /// ElectionTimeoutMinMs / LeaseClockDriftBound after the start of a round that a majority acknowledged (followers
    /// refuse votes for their election timeout after such a round). Safe while no node's clock runs faster than the
    /// bound allows relative to another's; off, every read waits for a round (ReadIndex).
    /// </summary>
    public bool LeaderLease { get; set; } = true;

    /// <summary>How much faster one node's monotonic clock may run than another's: the lease is the election timeout's
    /// lower bound divided by this (600 ms / 1.5 = 400 ms by default).</summary>
    public double LeaseClockDriftBound { get; set; } = 1.5;

    /// <summary>How long a client command waits for commit or a read barrier before it answers an error.</summary>
    public int CommandTimeoutMs { get; set; } = 10_000;

    /// <summary>Period of the leader's active expiry cycle (Redis: 100 ms at hz 10).</summary>
    public int ExpiryCycleMs { get; set; } = 100;

    /// <summary>Most keys one expiry-sweep log entry deletes; a full batch is followed by another at once.</summary>
    public int ExpiryBatchKeys { get; set; } = 200;

    /// <summary>
    /// A backup file (from RAFTKV.BACKUP) to start a brand-new single-node cluster from. Used only when the data
    /// directory is empty; members are then added one at a time. Ignored (with a warning) once the node has data.
    /// </summary>
    public string RestoreFrom { get; set; } = string.Empty;

    /// <summary>
    /// The secret by which members prove themselves to each other outside Raft (the forwarding handshake, snapshot
    /// downloads), for a brand-new cluster: the first leader puts it into the log (UTF-8), or 32 random bytes when this
    /// is empty. Once the cluster has a secret it keeps it: changing this later changes nothing. Never shown by INFO
    /// or CONFIG GET.
    /// </summary>
    public string ClusterSecret { get; set; } = string.Empty;

    /// <summary>
    /// The only directory RAFTKV.BACKUP writes to (created on demand): a client names a file inside it, never a path
    /// elsewhere. Empty (default): <c>backups</c> under <see cref="DataDirectory"/>.
    /// </summary>
    public string BackupDirectory { get; set; } = string.Empty;

    public string BackupDirectoryPath => string.IsNullOrEmpty(BackupDirectory) ? Path.Combine(DataDirectory, "backups") : BackupDirectory;

    /// <summary>TLS for the RESP, gRPC, Raft and snapshot endpoints (all off by default).</summary>
    public TlsOptions Tls { get; set; } = new();

    /// <summary>
    /// The default user's password for a brand-new cluster (Redis's requirepass): proposed with <see cref="AclFile"/>'s
    /// users in the first leader's bootstrap entry, once; afterwards CONFIG SET requirepass and ACL SETUSER change it.
    /// Until the entry has applied, this node already asks clients for it.
    /// </summary>
    public string? RequirePass { get; set; }

    /// <summary>
    /// host:port of the HTTP endpoint that serves <c>/metrics</c> (Prometheus text), <c>/health/live</c> and
    /// <c>/health/ready</c>; off the client ports and on loopback unless configured otherwise. Empty disables it.
    /// </summary>
    public string MetricsEndpoint { get; set; } = "127.0.0.1:9379";

    /// <summary>
    /// A warning the Raft library repeats (a failed request to an unreachable member, several a second) is written once,
    /// then summarised (count, first and last time) at most once per this many seconds while it goes on.
    /// </summary>
    public int LogRepeatIntervalSeconds { get; set; } = 30;

    /// <summary>A file of Redis aclfile lines (<c>user name rules...</c>) whose users a brand-new cluster starts with; see <see cref="RequirePass"/>.</summary>
    public string? AclFile { get; set; }

    /// <summary>
    /// The master name under which every node answers the SENTINEL commands (the leader is the master): what clients
    /// are given as Sentinel's service name (redis-py <c>master_for</c>, ioredis <c>name</c>, StackExchange.Redis
    /// <c>serviceName</c>). Any other name is an unknown master.
    /// </summary>
    public string SentinelServiceName { get; set; } = "raftkv";

    public string RespAdvertised => string.IsNullOrEmpty(RespAdvertisedEndpoint) ? RespEndpoint : RespAdvertisedEndpoint;
}
