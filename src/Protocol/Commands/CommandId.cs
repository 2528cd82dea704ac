namespace RaftKV.Protocol.Commands;

/// <summary>
/// Every command RaftKV knows. THIS IS A PERSISTED FORMAT: write commands are stored in the Raft log
/// and in snapshots by these numbers. Values are explicit and append-only: never renumber, never reuse
/// a retired value. <c>CommandIdStabilityTests</c> pins them.
/// </summary>
public enum CommandId : ushort
{
    None = 0,

    // Internal entries that no client sends (1-99).
    NoOp = 1,
    /// <summary>Group commit: the arguments are whole encoded log entries, applied in order (see the Node's WriteBatcher).</summary>
    Batch = 2,
    /// <summary>Active expiry: the arguments are keys; each is deleted if it is expired at the entry's time.</summary>
    ExpireSweep = 3,
    /// <summary>
    /// Proposed by a new leader when it takes office: extends every held lock's lease by its ttl from the entry's
    /// time, so a leader change never frees a lock early (no arguments; reply: the number of leases extended).
    /// </summary>
    LockLeaseExtend = 4,
    /// <summary>
    /// EXEC as one entry: the WATCH conditions (key, revision, liveness) and the queued commands as whole encoded
    /// entries (see the StateMachine's TransactionEntry); all applied on every replica, or none when a condition fails.
    /// </summary>
    Transaction = 5,
    /// <summary>SCRIPT LOAD: the argument is a script body; compiled and added to the replicated script cache (reply: its SHA1).</summary>
    ScriptLoad = 7,
    /// <summary>SCRIPT FLUSH: empties the replicated script cache (no arguments, or ASYNC/SYNC, which mean the same here).</summary>
    ScriptFlush = 8,
    /// <summary>
    /// The cluster secret (one argument: its bytes), proposed by a leader whose state has none: the configured
    /// ClusterSecret, else random bytes drawn on the leader and carried here, so every replica stores the same ones.
    /// Applied only while no secret is set: the first one committed stays (reply: 1 when it set the secret, else 0).
    /// </summary>
    ClusterSecretSet = 9,
    /// <summary>
    /// The first users of a brand-new cluster, from the configuration (RequirePass, AclFile), proposed by a leader whose
    /// replicated ACL table was never bootstrapped; applied once (later ones change nothing). Arguments: records
    /// <c>USER name rule...</c> and <c>REQUIREPASS password</c>.
    /// </summary>
    AclBootstrap = 10,
    /// <summary>
    /// EVAL, EVALSHA or FCALL run as an ACL user: the arguments are the user's name, the command's name, then the
    /// command's own arguments. Every redis.call of the script is checked against that user as the ACL table stands
    /// when the entry applies. The plain Eval/Evalsha/Fcall entries written before this id existed run unchecked.
    /// </summary>
    ScriptAsUser = 11,
    /// <summary>
    /// The leader's decision for a script suspended at the end of a slice: run its next slice. Arguments: the index of
    /// the entry that started the script, its position in that entry's Batch (0 otherwise), and the slice it stopped
    /// after. A decision naming no suspended script changes nothing (reply: OK when it applied, 0 when it was stale).
    /// </summary>
    ScriptContinue = 12,
    /// <summary>
    /// As <see cref="ScriptContinue"/>, for SCRIPT KILL / FUNCTION KILL: the script is killed if it has not written (its
    /// caller gets "Script killed by user"; reply OK), else it runs its next slice (reply UNKILLABLE).
    /// </summary>
    ScriptKill = 13,
    /// <summary>
    /// maxmemory eviction, chosen by the leader under maxmemory-policy: the first argument is <c>volatile</c> (only keys
    /// that still have an expiry are evicted) or <c>allkeys</c>, the rest are pairs of a key and its revision when the
    /// leader chose it; each key still at that revision is deleted with an <c>evicted</c> keyspace event (reply: the
    /// number deleted).
    /// </summary>
    Evict = 14,

    // Connection and server (100-199).
    Ping = 100,
    Echo = 101,
    Hello = 102,
    Auth = 103,
    Select = 104,
    Client = 105,
    Config = 106,
    Info = 107,
    Role = 108,
    Command = 109,
    Quit = 110,
    Reset = 111,
    Time = 112,
    Debug = 113,
    Cluster = 114,
    Sentinel = 115,
    Subscribe = 116,
    Unsubscribe = 117,
    Psubscribe = 118,
    Punsubscribe = 119,
    Publish = 120,
    Dbsize = 121,
    Flushdb = 122,
    Flushall = 123,
    Readonly = 124,
    Readwrite = 125,
    Lastsave = 126,
    Function = 127,
    Fcall = 128,
    FcallRo = 129,
    /// <summary>
    /// CONFIG SET as a log entry (internal: clients send CONFIG SET, which the receiving node checks and proposes).
    /// Arguments: parameter name (or alias, lower case) and normalized value pairs, applied all or none on every replica.
    /// </summary>
    ConfigSet = 130,
    Latency = 131,
    Memory = 132,
    /// <summary>ACL; SETUSER and DELUSER are log entries under this id (arguments from the subcommand on), as FUNCTION's writes.</summary>
    Acl = 133,

    /// <summary>PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB: this node's own subscribers.</summary>
    Pubsub = 134,

    /// <summary>SLOWLOG GET / LEN / RESET: this node's own clients' slow commands.</summary>
    Slowlog = 135,

    /// <summary>Sharded pub/sub (Redis 7.0): SPUBLISH is a log entry as PUBLISH; SSUBSCRIBE and SUNSUBSCRIBE this node's own.</summary>
    Ssubscribe = 136,
    Sunsubscribe = 137,
    Spublish = 138,

    // Transactions (140-144).
    Multi = 140,
    Exec = 141,
    Discard = 142,
    Watch = 143,
    Unwatch = 144,
    // Scripting (145-149): EVAL and EVALSHA are log entries run at apply on every replica; the _RO forms are reads.
    Eval = 145,
    Evalsha = 146,
    EvalRo = 147,
    EvalshaRo = 148,
    Script = 149,

    // Server commands (150-159).
    Monitor = 150,
    Save = 151,
    Bgsave = 152,
    Bgrewriteaof = 153,
    Shutdown = 154,
    /// <summary>WAIT numreplicas timeout: how many followers hold this client's acknowledged writes (Server/WaitCommand.cs).</summary>
    Wait = 155,
    /// <summary>MODULE LIST / HELP (no modules: LOAD, LOADEX and UNLOAD are refused; every replica runs the same code).</summary>
    Module = 156,
    /// <summary>REPLICAOF, SLAVEOF, SYNC, PSYNC, REPLCONF: refused, with where to look instead (replication is Raft's).</summary>
    Replicaof = 157,
    Slaveof = 158,
    Sync = 159,
    Psync = 160,
    /// <summary>ASKING: as on a Redis without cluster support.</summary>
    Asking = 161,
    Lolwut = 162,
    /// <summary>FAILOVER: a Raft leadership transfer (Server/FailoverCommand.cs).</summary>
    Failover = 163,
    Replconf = 164,

    // Strings (200-299).
    Get = 200,
    Set = 201,
    Setnx = 202,
    Getset = 203,
    Getdel = 204,
    Mget = 205,
    Mset = 206,
    Msetnx = 207,
    Append = 208,
    Strlen = 209,
    Incr = 210,
    Decr = 211,
    Incrby = 212,
    Decrby = 213,
    Incrbyfloat = 214,
    Getrange = 215,
    Setrange = 216,
    Substr = 217,
    Lcs = 218,
    Setex = 219,
    Psetex = 220,
    Getex = 221,

    // Generic keyspace (300-399).
    Del = 300,
    Unlink = 301,
    Exists = 302,
    Type = 303,
    Rename = 304,
    Renamenx = 305,
    Keys = 306,
    Scan = 307,
    Copy = 308,
    Sort = 309,
    SortRo = 310,
    Touch = 311,
    Object = 312,
    Randomkey = 313,
    Expire = 314,
    Pexpire = 315,
    Expireat = 316,
    Pexpireat = 317,
    Ttl = 318,
    Pttl = 319,
    Expiretime = 320,
    Pexpiretime = 321,
    Persist = 322,
    Dump = 323,
    Restore = 324,
    /// <summary>MOVE and SWAPDB on a server with one database (db 0): answered by the session, as Redis answers them there.</summary>
    Move = 325,
    Swapdb = 326,

    // RaftKV's own commands, in the RAFTKV.* namespace (1000-1099).
    RaftkvBackup = 1000,
    RaftkvSnapshot = 1001,
    RaftkvLockAcquire = 1002,
    RaftkvLockRelease = 1003,
    RaftkvLockRefresh = 1004,
    RaftkvLockOwner = 1005,
    RaftkvMembers = 1006,
    RaftkvMemberAdd = 1007,
    RaftkvMemberRemove = 1008,
    RaftkvLeaderTransfer = 1009,

    /// <summary>RAFTKV.GETREV key: the value and the key's modification revision (a read).</summary>
    RaftkvGetrev = 1010,

    // The gRPC API's KV and Txn services as commands (1100-1119), so that they take the one executor path and their
    // writes are log entries like any other. Replies carry modification revisions (see KvCommands in the StateMachine).
    /// <summary>RAFTKV.KV.GET key: [store revision, item or nil], an item being [key, value, mod revision, ttl ms or -1] (a read).</summary>
    RaftkvKvGet = 1100,
    /// <summary>RAFTKV.KV.RANGE prefix after limit: one page of the string keys under a prefix, in byte order (a read).</summary>
    RaftkvKvRange = 1101,
    /// <summary>RAFTKV.KV.PUT key value [PX ms|PXAT ms] [NX|XX] [PREVKV]: SET with the revisions and previous item (a write).</summary>
    RaftkvKvPut = 1102,
    /// <summary>RAFTKV.KV.DELETE KEYS|PREFIX WITHPREV|NOPREV arg...: deletes keys, or every key under a prefix (a write).</summary>
    RaftkvKvDelete = 1103,
    /// <summary>
    /// RAFTKV.TXN: etcd's transaction as one write. Compares evaluated at apply, then the success or failure list of
    /// KV operations, all stamped with the entry's revision (see the StateMachine's TxnArguments for the layout).
    /// </summary>
    RaftkvTxn = 1104,

    // Lists (400-499).
    Lpush = 400,
    Rpush = 401,
    Lpushx = 402,
    Rpushx = 403,
    Lpop = 404,
    Rpop = 405,
    Lrange = 406,
    Llen = 407,
    Lindex = 408,
    Lset = 409,
    Lrem = 410,
    Ltrim = 411,
    Linsert = 412,
    Lpos = 413,
    Lmove = 414,
    Rpoplpush = 415,
    Lmpop = 416,
    Blpop = 417,
    Brpop = 418,
    Blmove = 419,
    Brpoplpush = 420,
    Blmpop = 421,

    // Sets (500-599).
    Sadd = 500,
    Srem = 501,
    Smembers = 502,
    Sismember = 503,
    Smismember = 504,
    Scard = 505,
    Spop = 506,
    Srandmember = 507,
    Smove = 508,
    Sinter = 509,
    Sintercard = 510,
    Sinterstore = 511,
    Sunion = 512,
    Sunionstore = 513,
    Sdiff = 514,
    Sdiffstore = 515,
    Sscan = 516,

    // Sorted sets (600-699).
    Zadd = 600,
    Zincrby = 601,
    Zscore = 602,
    Zmscore = 603,
    Zcard = 604,
    Zcount = 605,
    Zlexcount = 606,
    Zrange = 607,
    Zrangestore = 608,
    Zrangebyscore = 609,
    Zrevrangebyscore = 610,
    Zrangebylex = 611,
    Zrevrangebylex = 612,
    Zrevrange = 613,
    Zrank = 614,
    Zrevrank = 615,
    Zrem = 616,
    Zremrangebyrank = 617,
    Zremrangebyscore = 618,
    Zremrangebylex = 619,
    Zpopmin = 620,
    Zpopmax = 621,
    Zmpop = 622,
    Bzpopmin = 623,
    Bzpopmax = 624,
    Bzmpop = 625,
    Zunion = 626,
    Zinter = 627,
    Zdiff = 628,
    Zunionstore = 629,
    Zinterstore = 630,
    Zdiffstore = 631,
    Zintercard = 632,
    Zrandmember = 633,
    Zscan = 634,

    // Hashes (700-799).
    Hset = 700,
    Hsetnx = 701,
    Hget = 702,
    Hmget = 703,
    Hmset = 704,
    Hgetall = 705,
    Hdel = 706,
    Hexists = 707,
    Hlen = 708,
    Hstrlen = 709,
    Hkeys = 710,
    Hvals = 711,
    Hincrby = 712,
    Hincrbyfloat = 713,
    Hrandfield = 714,
    Hscan = 715,

    // Bitmaps and HyperLogLog (800-829).
    Setbit = 800,
    Getbit = 801,
    Bitcount = 802,
    Bitpos = 803,
    Bitop = 804,
    Bitfield = 805,
    BitfieldRo = 806,
    Pfadd = 820,
    Pfcount = 821,
    Pfmerge = 822,
    Pfdebug = 823,
    Pfselftest = 824,

    // Geo (830-849).
    Geoadd = 830,
    Geodist = 831,
    Geohash = 832,
    Geopos = 833,
    Geosearch = 834,
    Geosearchstore = 835,
    Georadius = 836,
    Georadiusbymember = 837,
    GeoradiusRo = 838,
    GeoradiusbymemberRo = 839,
    // Streams (850-899).
    Xadd = 850,
    Xrange = 851,
    Xrevrange = 852,
    Xlen = 853,
    Xread = 854,
    Xdel = 855,
    Xtrim = 856,
    Xsetid = 857,
    Xinfo = 858,
    Xgroup = 859,
    Xreadgroup = 860,
    Xack = 861,
    Xpending = 862,
    Xclaim = 863,
    Xautoclaim = 864,
}
