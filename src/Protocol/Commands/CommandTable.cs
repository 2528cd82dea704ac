using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace RaftKV.Protocol.Commands;

/// <summary>
/// The one table of command properties: name, id, arity, flags and key positions, with Redis 7.0's
/// COMMAND INFO values. Every <see cref="CommandId"/> a client can send has exactly one entry.
/// </summary>
public static class CommandTable
{
    /// <summary>No command name is longer; a longer name cannot match and needs no normalising.</summary>
    private const int MaxNameLength = 32;

    private const CommandFlags Write = CommandFlags.Write;
    private const CommandFlags Read = CommandFlags.Read;
    private const CommandFlags Admin = CommandFlags.Admin;
    private const CommandFlags Connection = CommandFlags.Connection;
    private const CommandFlags PubSub = CommandFlags.PubSub;
    private const CommandFlags DenyOom = CommandFlags.DenyOom;
    private const CommandFlags Fast = CommandFlags.Fast;
    private const CommandFlags InSubscribe = CommandFlags.AllowedInSubscribe;

    private static readonly CommandSpec[] Specs =
    [
        // Connection and server.
        new("ping", CommandId.Ping, -1, Connection | Fast | InSubscribe),
        new("echo", CommandId.Echo, 2, Connection | Fast),
        new("hello", CommandId.Hello, -1, Connection | Fast),
        new("auth", CommandId.Auth, -2, Connection | Fast),
        new("select", CommandId.Select, 2, Connection | Fast),
        new("client", CommandId.Client, -2, Connection),
        new("config", CommandId.Config, -2, Admin),
        new("info", CommandId.Info, -1, Admin),
        new("role", CommandId.Role, 1, Admin | Fast),
        new("command", CommandId.Command, -1, Admin),
        new("quit", CommandId.Quit, -1, Connection | Fast | InSubscribe),
        new("reset", CommandId.Reset, 1, Connection | Fast | InSubscribe),
        new("time", CommandId.Time, 1, Admin | Fast),
        new("debug", CommandId.Debug, -2, Admin),
        new("cluster", CommandId.Cluster, -2, Admin),
        new("sentinel", CommandId.Sentinel, -2, Admin),
        new("subscribe", CommandId.Subscribe, -2, PubSub | Connection | InSubscribe),
        new("unsubscribe", CommandId.Unsubscribe, -1, PubSub | Connection | InSubscribe),
        new("psubscribe", CommandId.Psubscribe, -2, PubSub | Connection | InSubscribe),
        new("punsubscribe", CommandId.Punsubscribe, -1, PubSub | Connection | InSubscribe),
        new("publish", CommandId.Publish, 3, PubSub | Write | Fast),
        // Sharded pub/sub: a separate namespace of channels (one shard here). Redis 7.0 declares the channels as keys
        // flagged not-key (for cluster slots only); none are declared here, so ACL checks them as channels only.
        new("ssubscribe", CommandId.Ssubscribe, -2, PubSub | Connection | InSubscribe),
        new("sunsubscribe", CommandId.Sunsubscribe, -1, PubSub | Connection | InSubscribe),
        new("spublish", CommandId.Spublish, 3, PubSub | Write | Fast),
        new("pubsub", CommandId.Pubsub, -2, PubSub | Connection),
        new("dbsize", CommandId.Dbsize, 1, Read | Fast),
        new("flushdb", CommandId.Flushdb, -1, Write),
        new("flushall", CommandId.Flushall, -1, Write),
        new("readonly", CommandId.Readonly, 1, Connection | Fast),
        new("readwrite", CommandId.Readwrite, 1, Connection | Fast),
        new("lastsave", CommandId.Lastsave, 1, Admin | Fast),
        new("monitor", CommandId.Monitor, 1, Connection),
        new("save", CommandId.Save, 1, Admin),
        new("bgsave", CommandId.Bgsave, -1, Admin),
        new("bgrewriteaof", CommandId.Bgrewriteaof, 1, Admin),
        new("shutdown", CommandId.Shutdown, -1, Admin),
        // WAIT is answered by the session (the leader asks its followers, Server/WaitCommand.cs): not a keyspace command.
        new("wait", CommandId.Wait, 3, Connection),
        new("module", CommandId.Module, -2, Admin),
        new("replicaof", CommandId.Replicaof, 3, Admin),
        new("slaveof", CommandId.Slaveof, 3, Admin),
        new("sync", CommandId.Sync, 1, Admin),
        new("psync", CommandId.Psync, -3, Admin),
        new("failover", CommandId.Failover, -1, Admin),
        new("replconf", CommandId.Replconf, -1, Admin),
        new("asking", CommandId.Asking, 1, Connection | Fast),
        new("lolwut", CommandId.Lolwut, -1, Connection | Fast),
        // One database: MOVE and SWAPDB can only name db 0, and are answered without the log (Redis's answers there);
        // as they never touch a key, MOVE declares none (Redis: 1 1 1, so its ACL key check comes first there).
        new("move", CommandId.Move, 3, Connection | Fast),
        new("swapdb", CommandId.Swapdb, 3, Connection | Fast),
        new("function", CommandId.Function, -2, Admin),
        // FCALL runs a function at apply on every replica (a log entry); FCALL_RO on the leader as a read. Their keys
        // follow numkeys (Redis 7.0 reports 0 0 0 and movablekeys; COMMAND GETKEYS reads numkeys).
        new("fcall", CommandId.Fcall, -3, Write),
        new("fcall_ro", CommandId.FcallRo, -3, Read),
        new("latency", CommandId.Latency, -2, Admin),
        new("slowlog", CommandId.Slowlog, -2, Admin),
        new("acl", CommandId.Acl, -2, Admin),

        // Scripts: keys are numkeys-based (Redis 7.0 reports 0 0 0 and movablekeys; COMMAND GETKEYS reads numkeys).
        // EVAL and EVALSHA are writes (log entries run at apply); the _RO forms reads on the leader.
        new("eval", CommandId.Eval, -3, Write),
        new("evalsha", CommandId.Evalsha, -3, Write),
        new("eval_ro", CommandId.EvalRo, -3, Read),
        new("evalsha_ro", CommandId.EvalshaRo, -3, Read),
        new("script", CommandId.Script, -2, Admin),
        new("memory", CommandId.Memory, -2, Admin),
        // Transactions: answered by the session (EXEC proposes one Transaction entry), hence Connection.
        new("multi", CommandId.Multi, 1, Connection | Fast),
        new("exec", CommandId.Exec, 1, Connection),
        new("discard", CommandId.Discard, 1, Connection | Fast),
        new("watch", CommandId.Watch, -2, Connection | Fast, 1, -1, 1),
        new("unwatch", CommandId.Unwatch, 1, Connection | Fast),
        new("raftkv.backup", CommandId.RaftkvBackup, 2, Admin),
        new("raftkv.snapshot", CommandId.RaftkvSnapshot, 1, Admin),

        // Membership changes and leadership transfer: run on the leader (a follower relays them), one change at a time.
        new("raftkv.members", CommandId.RaftkvMembers, 1, Admin),
        new("raftkv.member.add", CommandId.RaftkvMemberAdd, -2, Admin),
        new("raftkv.member.remove", CommandId.RaftkvMemberRemove, 2, Admin),
        new("raftkv.leader.transfer", CommandId.RaftkvLeaderTransfer, -1, Admin),

        // Locks with fencing tokens: their own namespace, not keys; the lock name sits at the key position so that
        // sharding routes a lock like a key.
        new("raftkv.lock.acquire", CommandId.RaftkvLockAcquire, 4, Write | DenyOom | Fast, 1, 1, 1),
        new("raftkv.lock.release", CommandId.RaftkvLockRelease, 3, Write | Fast, 1, 1, 1),
        new("raftkv.lock.refresh", CommandId.RaftkvLockRefresh, 4, Write | Fast, 1, 1, 1),
        new("raftkv.lock.owner", CommandId.RaftkvLockOwner, 2, Read | Fast, 1, 1, 1),

        // A key's value with its modification revision, so a client can read, then watch from there.
        new("raftkv.getrev", CommandId.RaftkvGetrev, 2, Read | Fast, 1, 1, 1),

        // The gRPC KV and Txn services' commands. A prefix stands at the key position, so ACL key patterns are checked
        // against it; RAFTKV.TXN's keys are found inside its operations (AclRequest.KeyPositions).
        new("raftkv.kv.get", CommandId.RaftkvKvGet, 2, Read | Fast, 1, 1, 1),
        new("raftkv.kv.range", CommandId.RaftkvKvRange, 4, Read, 1, 1, 1),
        new("raftkv.kv.put", CommandId.RaftkvKvPut, -3, Write | DenyOom, 1, 1, 1),
        new("raftkv.kv.delete", CommandId.RaftkvKvDelete, -4, Write, 3, -1, 1),
        new("raftkv.txn", CommandId.RaftkvTxn, -4, Write | DenyOom),

        // Strings.
        new("get", CommandId.Get, 2, Read | Fast, 1, 1, 1),
        new("set", CommandId.Set, -3, Write | DenyOom, 1, 1, 1),
        new("setnx", CommandId.Setnx, 3, Write | DenyOom | Fast, 1, 1, 1),
        new("getset", CommandId.Getset, 3, Write | DenyOom | Fast, 1, 1, 1),
        new("getdel", CommandId.Getdel, 2, Write | Fast, 1, 1, 1),
        new("mget", CommandId.Mget, -2, Read | Fast, 1, -1, 1),
        new("mset", CommandId.Mset, -3, Write | DenyOom, 1, -1, 2),
        new("msetnx", CommandId.Msetnx, -3, Write | DenyOom, 1, -1, 2),
        new("append", CommandId.Append, 3, Write | DenyOom | Fast, 1, 1, 1),
        new("strlen", CommandId.Strlen, 2, Read | Fast, 1, 1, 1),
        new("incr", CommandId.Incr, 2, Write | DenyOom | Fast, 1, 1, 1),
        new("decr", CommandId.Decr, 2, Write | DenyOom | Fast, 1, 1, 1),
        new("incrby", CommandId.Incrby, 3, Write | DenyOom | Fast, 1, 1, 1),
        new("decrby", CommandId.Decrby, 3, Write | DenyOom | Fast, 1, 1, 1),
        new("incrbyfloat", CommandId.Incrbyfloat, 3, Write | DenyOom | Fast, 1, 1, 1),
        new("getrange", CommandId.Getrange, 4, Read, 1, 1, 1),
        new("setrange", CommandId.Setrange, 4, Write | DenyOom, 1, 1, 1),
        new("substr", CommandId.Substr, 4, Read, 1, 1, 1),
        new("lcs", CommandId.Lcs, -3, Read, 1, 2, 1),
        new("setex", CommandId.Setex, 4, Write | DenyOom, 1, 1, 1),
        new("psetex", CommandId.Psetex, 4, Write | DenyOom, 1, 1, 1),
        new("getex", CommandId.Getex, -2, Write | Fast, 1, 1, 1),

        // Generic keyspace.
        new("del", CommandId.Del, -2, Write, 1, -1, 1),
        new("unlink", CommandId.Unlink, -2, Write | Fast, 1, -1, 1),
        new("exists", CommandId.Exists, -2, Read | Fast, 1, -1, 1),
        new("type", CommandId.Type, 2, Read | Fast, 1, 1, 1),
        new("rename", CommandId.Rename, 3, Write, 1, 2, 1),
        new("renamenx", CommandId.Renamenx, 3, Write | Fast, 1, 2, 1),
        new("keys", CommandId.Keys, 2, Read),
        new("scan", CommandId.Scan, -2, Read),
        new("copy", CommandId.Copy, -3, Write | DenyOom, 1, 2, 1),
        new("sort", CommandId.Sort, -2, Write | DenyOom, 1, 1, 1),
        new("sort_ro", CommandId.SortRo, -2, Read, 1, 1, 1),
        new("touch", CommandId.Touch, -2, Read | Fast, 1, -1, 1),
        new("dump", CommandId.Dump, 2, Read, 1, 1, 1),
        new("restore", CommandId.Restore, -4, Write | DenyOom, 1, 1, 1),
        new("object", CommandId.Object, -2, Read, 2, 2, 1),
        new("randomkey", CommandId.Randomkey, 1, Read),
        new("expire", CommandId.Expire, -3, Write | Fast, 1, 1, 1),
        new("pexpire", CommandId.Pexpire, -3, Write | Fast, 1, 1, 1),
        new("expireat", CommandId.Expireat, -3, Write | Fast, 1, 1, 1),
        new("pexpireat", CommandId.Pexpireat, -3, Write | Fast, 1, 1, 1),
        new("ttl", CommandId.Ttl, 2, Read | Fast, 1, 1, 1),
        new("pttl", CommandId.Pttl, 2, Read | Fast, 1, 1, 1),
        new("expiretime", CommandId.Expiretime, 2, Read | Fast, 1, 1, 1),
        new("pexpiretime", CommandId.Pexpiretime, 2, Read | Fast, 1, 1, 1),
        new("persist", CommandId.Persist, 2, Write | Fast, 1, 1, 1),

        // Lists.
        new("lpush", CommandId.Lpush, -3, Write | DenyOom | Fast, 1, 1, 1),
        new("rpush", CommandId.Rpush, -3, Write | DenyOom | Fast, 1, 1, 1),
        new("lpushx", CommandId.Lpushx, -3, Write | DenyOom | Fast, 1, 1, 1),
        new("rpushx", CommandId.Rpushx, -3, Write | DenyOom | Fast, 1, 1, 1),
        new("lpop", CommandId.Lpop, -2, Write | Fast, 1, 1, 1),
        new("rpop", CommandId.Rpop, -2, Write | Fast, 1, 1, 1),
        new("lrange", CommandId.Lrange, 4, Read, 1, 1, 1),
        new("llen", CommandId.Llen, 2, Read | Fast, 1, 1, 1),
        new("lindex", CommandId.Lindex, 3, Read, 1, 1, 1),
        new("lset", CommandId.Lset, 4, Write | DenyOom, 1, 1, 1),
        new("lrem", CommandId.Lrem, 4, Write, 1, 1, 1),
        new("ltrim", CommandId.Ltrim, 4, Write, 1, 1, 1),
        new("linsert", CommandId.Linsert, 5, Write | DenyOom, 1, 1, 1),
        new("lpos", CommandId.Lpos, -3, Read, 1, 1, 1),
        new("lmove", CommandId.Lmove, 5, Write | DenyOom, 1, 2, 1),
        new("rpoplpush", CommandId.Rpoplpush, 3, Write | DenyOom, 1, 2, 1),
        new("lmpop", CommandId.Lmpop, -4, Write),
        new("blpop", CommandId.Blpop, -3, Write, 1, -2, 1),
        new("brpop", CommandId.Brpop, -3, Write, 1, -2, 1),
        new("blmove", CommandId.Blmove, 6, Write | DenyOom, 1, 2, 1),
        new("brpoplpush", CommandId.Brpoplpush, 4, Write | DenyOom, 1, 2, 1),
        new("blmpop", CommandId.Blmpop, -5, Write),

        // Sets.
        new("sadd", CommandId.Sadd, -3, Write | DenyOom | Fast, 1, 1, 1),
        new("srem", CommandId.Srem, -3, Write | Fast, 1, 1, 1),
        new("smembers", CommandId.Smembers, 2, Read, 1, 1, 1),
        new("sismember", CommandId.Sismember, 3, Read | Fast, 1, 1, 1),
        new("smismember", CommandId.Smismember, -3, Read | Fast, 1, 1, 1),
        new("scard", CommandId.Scard, 2, Read | Fast, 1, 1, 1),
        new("smove", CommandId.Smove, 4, Write | Fast, 1, 2, 1),
        new("spop", CommandId.Spop, -2, Write | Fast, 1, 1, 1),
        new("srandmember", CommandId.Srandmember, -2, Read, 1, 1, 1),
        new("sinter", CommandId.Sinter, -2, Read, 1, -1, 1),
        new("sintercard", CommandId.Sintercard, -3, Read),
        new("sinterstore", CommandId.Sinterstore, -3, Write | DenyOom, 1, -1, 1),
        new("sunion", CommandId.Sunion, -2, Read, 1, -1, 1),
        new("sunionstore", CommandId.Sunionstore, -3, Write | DenyOom, 1, -1, 1),
        new("sdiff", CommandId.Sdiff, -2, Read, 1, -1, 1),
        new("sdiffstore", CommandId.Sdiffstore, -3, Write | DenyOom, 1, -1, 1),
        new("sscan", CommandId.Sscan, -3, Read, 1, 1, 1),

        // Sorted sets.
        new("zadd", CommandId.Zadd, -4, Write | DenyOom | Fast, 1, 1, 1),
        new("zincrby", CommandId.Zincrby, 4, Write | DenyOom | Fast, 1, 1, 1),
        new("zscore", CommandId.Zscore, 3, Read | Fast, 1, 1, 1),
        new("zmscore", CommandId.Zmscore, -3, Read | Fast, 1, 1, 1),
        new("zcard", CommandId.Zcard, 2, Read | Fast, 1, 1, 1),
        new("zcount", CommandId.Zcount, 4, Read | Fast, 1, 1, 1),
        new("zlexcount", CommandId.Zlexcount, 4, Read | Fast, 1, 1, 1),
        new("zrange", CommandId.Zrange, -4, Read, 1, 1, 1),
        new("zrangestore", CommandId.Zrangestore, -5, Write | DenyOom, 1, 2, 1),
        new("zrangebyscore", CommandId.Zrangebyscore, -4, Read, 1, 1, 1),
        new("zrevrangebyscore", CommandId.Zrevrangebyscore, -4, Read, 1, 1, 1),
        new("zrangebylex", CommandId.Zrangebylex, -4, Read, 1, 1, 1),
        new("zrevrangebylex", CommandId.Zrevrangebylex, -4, Read, 1, 1, 1),
        new("zrevrange", CommandId.Zrevrange, -4, Read, 1, 1, 1),
        new("zrank", CommandId.Zrank, 3, Read | Fast, 1, 1, 1),
        new("zrevrank", CommandId.Zrevrank, 3, Read | Fast, 1, 1, 1),
        new("zrem", CommandId.Zrem, -3, Write | Fast, 1, 1, 1),
        new("zremrangebyrank", CommandId.Zremrangebyrank, 4, Write, 1, 1, 1),
        new("zremrangebyscore", CommandId.Zremrangebyscore, 4, Write, 1, 1, 1),
        new("zremrangebylex", CommandId.Zremrangebylex, 4, Write, 1, 1, 1),
        new("zpopmin", CommandId.Zpopmin, -2, Write | Fast, 1, 1, 1),
        new("zpopmax", CommandId.Zpopmax, -2, Write | Fast, 1, 1, 1),
        new("zmpop", CommandId.Zmpop, -4, Write),
        new("bzpopmin", CommandId.Bzpopmin, -3, Write | Fast, 1, -2, 1),
        new("bzpopmax", CommandId.Bzpopmax, -3, Write | Fast, 1, -2, 1),
        new("bzmpop", CommandId.Bzmpop, -5, Write),
        new("zunion", CommandId.Zunion, -3, Read),
        new("zinter", CommandId.Zinter, -3, Read),
        new("zdiff", CommandId.Zdiff, -3, Read),
        new("zunionstore", CommandId.Zunionstore, -4, Write | DenyOom, 1, 1, 1),
        new("zinterstore", CommandId.Zinterstore, -4, Write | DenyOom, 1, 1, 1),
        new("zdiffstore", CommandId.Zdiffstore, -4, Write | DenyOom, 1, 1, 1),
        new("zintercard", CommandId.Zintercard, -3, Read),
        new("zrandmember", CommandId.Zrandmember, -2, Read, 1, 1, 1),
        new("zscan", CommandId.Zscan, -3, Read, 1, 1, 1),

        // Hashes.
        new("hset", CommandId.Hset, -4, Write | DenyOom | Fast, 1, 1, 1),
        new("hsetnx", CommandId.Hsetnx, 4, Write | DenyOom | Fast, 1, 1, 1),
        new("hget", CommandId.Hget, 3, Read | Fast, 1, 1, 1),
        new("hmget", CommandId.Hmget, -3, Read | Fast, 1, 1, 1),
        new("hmset", CommandId.Hmset, -4, Write | DenyOom | Fast, 1, 1, 1),
        new("hgetall", CommandId.Hgetall, 2, Read, 1, 1, 1),
        new("hdel", CommandId.Hdel, -3, Write | Fast, 1, 1, 1),
        new("hexists", CommandId.Hexists, 3, Read | Fast, 1, 1, 1),
        new("hlen", CommandId.Hlen, 2, Read | Fast, 1, 1, 1),
        new("hstrlen", CommandId.Hstrlen, 3, Read | Fast, 1, 1, 1),
        new("hkeys", CommandId.Hkeys, 2, Read, 1, 1, 1),
        new("hvals", CommandId.Hvals, 2, Read, 1, 1, 1),
        new("hincrby", CommandId.Hincrby, 4, Write | DenyOom | Fast, 1, 1, 1),
        new("hincrbyfloat", CommandId.Hincrbyfloat, 4, Write | DenyOom | Fast, 1, 1, 1),
        new("hrandfield", CommandId.Hrandfield, -2, Read, 1, 1, 1),
        new("hscan", CommandId.Hscan, -3, Read, 1, 1, 1),

        // Bitmaps (string values addressed by bit).
        new("setbit", CommandId.Setbit, 4, Write | DenyOom, 1, 1, 1),
        new("getbit", CommandId.Getbit, 3, Read | Fast, 1, 1, 1),
        new("bitcount", CommandId.Bitcount, -2, Read, 1, 1, 1),
        new("bitpos", CommandId.Bitpos, -3, Read, 1, 1, 1),
        new("bitop", CommandId.Bitop, -4, Write | DenyOom, 2, -1, 1),
        new("bitfield", CommandId.Bitfield, -2, Write | DenyOom, 1, 1, 1),
        new("bitfield_ro", CommandId.BitfieldRo, -2, Read | Fast, 1, 1, 1),

        // HyperLogLog (string values in Redis's HLL format). PFDEBUG is admin in Redis; here it is a plain write so
        // that it reaches the state machine through the log (TODENSE and GETREG may convert the key to dense).
        new("pfadd", CommandId.Pfadd, -2, Write | DenyOom | Fast, 1, 1, 1),
        new("pfcount", CommandId.Pfcount, -2, Read, 1, -1, 1),
        new("pfmerge", CommandId.Pfmerge, -2, Write | DenyOom, 1, -1, 1),
        new("pfdebug", CommandId.Pfdebug, 3, Write | DenyOom, 2, 2, 1),
        new("pfselftest", CommandId.Pfselftest, 1, Admin),

        // Geo: sorted sets whose scores are 52-bit geohashes. GEORADIUS and GEORADIUSBYMEMBER are writes (their STORE
        // options), whose store keys Redis finds by keyword (movablekeys); the _RO forms and GEOSEARCH are reads.
        new("geoadd", CommandId.Geoadd, -5, Write | DenyOom, 1, 1, 1),
        new("geodist", CommandId.Geodist, -4, Read, 1, 1, 1),
        new("geohash", CommandId.Geohash, -2, Read, 1, 1, 1),
        new("geopos", CommandId.Geopos, -2, Read, 1, 1, 1),
        new("geosearch", CommandId.Geosearch, -7, Read, 1, 1, 1),
        new("geosearchstore", CommandId.Geosearchstore, -8, Write | DenyOom, 1, 2, 1),
        new("georadius", CommandId.Georadius, -6, Write | DenyOom, 1, 1, 1),
        new("georadiusbymember", CommandId.Georadiusbymember, -5, Write | DenyOom, 1, 1, 1),
        new("georadius_ro", CommandId.GeoradiusRo, -6, Read, 1, 1, 1),
        new("georadiusbymember_ro", CommandId.GeoradiusbymemberRo, -5, Read, 1, 1, 1),
        // Streams. XINFO and XGROUP name their key after the subcommand; XREAD and XREADGROUP after STREAMS (movable).
        new("xadd", CommandId.Xadd, -5, Write | DenyOom | Fast, 1, 1, 1),
        new("xrange", CommandId.Xrange, -4, Read, 1, 1, 1),
        new("xrevrange", CommandId.Xrevrange, -4, Read, 1, 1, 1),
        new("xlen", CommandId.Xlen, 2, Read | Fast, 1, 1, 1),
        new("xread", CommandId.Xread, -4, Read),
        new("xdel", CommandId.Xdel, -3, Write | Fast, 1, 1, 1),
        new("xtrim", CommandId.Xtrim, -4, Write, 1, 1, 1),
        new("xsetid", CommandId.Xsetid, -3, Write | DenyOom | Fast, 1, 1, 1),
        new("xinfo", CommandId.Xinfo, -2, Read, 2, 2, 1),
        new("xgroup", CommandId.Xgroup, -2, Write, 2, 2, 1),
        new("xreadgroup", CommandId.Xreadgroup, -7, Write),
        new("xack", CommandId.Xack, -4, Write | Fast, 1, 1, 1),
        new("xpending", CommandId.Xpending, -3, Read, 1, 1, 1),
        new("xclaim", CommandId.Xclaim, -6, Write | Fast, 1, 1, 1),
        new("xautoclaim", CommandId.Xautoclaim, -6, Write | Fast, 1, 1, 1),
    ];

    /// <summary>
    /// Entries the leader writes to the log and no client may send: known by id to the state machine (arity, write flag),
    /// never found by name and not listed by COMMAND.
    /// </summary>
    private static readonly CommandSpec[] InternalSpecs =
    [
        new("noop", CommandId.NoOp, -1, Write | CommandFlags.Internal),
        new("batch", CommandId.Batch, -1, Write | CommandFlags.Internal),
        new("expiresweep", CommandId.ExpireSweep, -1, Write | CommandFlags.Internal),
        new("evict", CommandId.Evict, -4, Write | CommandFlags.Internal),
        new("lockleaseextend", CommandId.LockLeaseExtend, 1, Write | CommandFlags.Internal),
        new("configset", CommandId.ConfigSet, -3, Write | CommandFlags.Internal),
        new("transaction", CommandId.Transaction, -2, Write | CommandFlags.Internal),
        new("scriptload", CommandId.ScriptLoad, 2, Write | CommandFlags.Internal),
        new("scriptflush", CommandId.ScriptFlush, -1, Write | CommandFlags.Internal),
        new("clustersecretset", CommandId.ClusterSecretSet, 2, Write | CommandFlags.Internal),
        new("aclbootstrap", CommandId.AclBootstrap, -1, Write | CommandFlags.Internal),
        new("scriptasuser", CommandId.ScriptAsUser, -3, Write | CommandFlags.Internal),
    ];

    private static readonly FrozenDictionary<string, CommandSpec> ByName =
        Specs.ToFrozenDictionary(spec => spec.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, CommandSpec>.AlternateLookup<ReadOnlySpan<char>> ByNameSpan =
        ByName.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenDictionary<CommandId, CommandSpec> ById = Specs.ToFrozenDictionary(spec => spec.Id);

    private static readonly FrozenDictionary<CommandId, CommandSpec> InternalById = InternalSpecs.ToFrozenDictionary(spec => spec.Id);

    /// <summary>Every command, sorted by name (ordinal).</summary>
    public static IReadOnlyList<CommandSpec> All { get; } =
        Array.AsReadOnly(Specs.OrderBy(spec => spec.Name, StringComparer.Ordinal).ToArray());

    /// <summary>Looks a command up by its name as sent by the client, ASCII case-insensitive, without allocating.</summary>
    public static bool TryGet(ReadOnlySpan<byte> name, [MaybeNullWhen(false)] out CommandSpec spec)
    {
        spec = null;
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return false;
        }

        Span<char> lower = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            if (b >= 0x80)
            {
                return false;
            }

            lower[i] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
        }

        if (ByNameSpan.TryGetValue(lower, out CommandSpec? found))
        {
            spec = found;
            return true;
        }

        return false;
    }

    /// <summary>
    /// The spec of an internal log entry (<see cref="CommandFlags.Internal"/>: no-op, batch, expiry sweep, lease
    /// extension) or of a client command; false for <see cref="CommandId.None"/> and unknown ids. The state machine
    /// validates entries by this, so that the facts it applies by are the ones the front end routes by.
    /// </summary>
    public static bool TryGetEntry(CommandId id, [MaybeNullWhen(false)] out CommandSpec spec) =>
        InternalById.TryGetValue(id, out spec) || TryGet(id, out spec);

    /// <summary>The spec of <paramref name="id"/>; false for <see cref="CommandId.None"/> and internal entries.</summary>
    public static bool TryGet(CommandId id, [MaybeNullWhen(false)] out CommandSpec spec)
    {
        if (ById.TryGetValue(id, out CommandSpec? found))
        {
            spec = found;
            return true;
        }

        spec = null;
        return false;
    }
}
