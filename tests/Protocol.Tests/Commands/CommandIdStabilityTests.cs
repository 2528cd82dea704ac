using RaftKV.Protocol.Commands;

namespace RaftKV.Protocol.Tests.Commands;

/// <summary>
/// CommandId is a persisted format (Raft log entries and snapshots store these numbers). This table is
/// written out by hand on purpose: renumbering or renaming an id must fail here. Append new ids to both.
/// </summary>
public class CommandIdStabilityTests
{
    private static readonly Dictionary<string, int> Pinned = new()
    {
        { "None", 0 },
        { "NoOp", 1 },
        { "Batch", 2 },
        { "Ping", 100 },
        { "Echo", 101 },
        { "Hello", 102 },
        { "Auth", 103 },
        { "Select", 104 },
        { "Client", 105 },
        { "Config", 106 },
        { "Info", 107 },
        { "Role", 108 },
        { "Command", 109 },
        { "Quit", 110 },
        { "Reset", 111 },
        { "Time", 112 },
        { "Debug", 113 },
        { "Cluster", 114 },
        { "Sentinel", 115 },
        { "Subscribe", 116 },
        { "Unsubscribe", 117 },
        { "Psubscribe", 118 },
        { "Punsubscribe", 119 },
        { "Publish", 120 },
        { "Dbsize", 121 },
        { "Flushdb", 122 },
        { "Flushall", 123 },
        { "Readonly", 124 },
        { "Readwrite", 125 },
        { "Lastsave", 126 },
        { "Get", 200 },
        { "Set", 201 },
        { "Setnx", 202 },
        { "Getset", 203 },
        { "Getdel", 204 },
        { "Mget", 205 },
        { "Mset", 206 },
        { "Msetnx", 207 },
        { "Append", 208 },
        { "Strlen", 209 },
        { "Incr", 210 },
        { "Decr", 211 },
        { "Incrby", 212 },
        { "Decrby", 213 },
        { "Incrbyfloat", 214 },
        { "Getrange", 215 },
        { "Setrange", 216 },
        { "Substr", 217 },
        { "Del", 300 },
        { "Unlink", 301 },
        { "Exists", 302 },
        { "Type", 303 },
        { "Rename", 304 },
        { "Renamenx", 305 },
        { "Keys", 306 },
        { "Scan", 307 },
        { "Copy", 308 },
        { "Touch", 311 },
        { "Object", 312 },
        { "Randomkey", 313 },
        { "Lpush", 400 },
        { "Rpush", 401 },
        { "Lpushx", 402 },
        { "Rpushx", 403 },
        { "Lpop", 404 },
        { "Rpop", 405 },
        { "Lrange", 406 },
        { "Llen", 407 },
        { "Lindex", 408 },
        { "Lset", 409 },
        { "Lrem", 410 },
        { "Ltrim", 411 },
        { "Linsert", 412 },
        { "Sadd", 500 },
        { "Srem", 501 },
        { "Smembers", 502 },
        { "Sismember", 503 },
        { "Smismember", 504 },
        { "Scard", 505 },
        { "Smove", 508 },
        { "Lpos", 413 },
        { "Lmove", 414 },
        { "Rpoplpush", 415 },
        { "Lmpop", 416 },
        { "Blpop", 417 },
        { "Brpop", 418 },
        { "Blmove", 419 },
        { "Brpoplpush", 420 },
        { "Blmpop", 421 },
        { "Spop", 506 },
        { "Srandmember", 507 },
        { "Sinter", 509 },
        { "Sintercard", 510 },
        { "Sinterstore", 511 },
        { "Sunion", 512 },
        { "Sunionstore", 513 },
        { "Sdiff", 514 },
        { "Sdiffstore", 515 },
        { "Sscan", 516 },
        { "Zadd", 600 },
        { "Zincrby", 601 },
        { "Zscore", 602 },
        { "Zmscore", 603 },
        { "Zcard", 604 },
        { "Zcount", 605 },
        { "Zlexcount", 606 },
        { "Zrange", 607 },
        { "Zrangestore", 608 },
        { "Zrangebyscore", 609 },
        { "Zrevrangebyscore", 610 },
        { "Zrangebylex", 611 },
        { "Zrevrangebylex", 612 },
        { "Zrevrange", 613 },
        { "Zrank", 614 },
        { "Zrevrank", 615 },
        { "Zrem", 616 },
        { "Zremrangebyrank", 617 },
        { "Zremrangebyscore", 618 },
        { "Zremrangebylex", 619 },
        { "Zpopmin", 620 },
        { "Zpopmax", 621 },
        { "Zmpop", 622 },
        { "Bzpopmin", 623 },
        { "Bzpopmax", 624 },
        { "Bzmpop", 625 },
        { "Zunion", 626 },
        { "Zinter", 627 },
        { "Zdiff", 628 },
        { "Zunionstore", 629 },
        { "Zinterstore", 630 },
        { "Zdiffstore", 631 },
        { "Zintercard", 632 },
        { "Zrandmember", 633 },
        { "Zscan", 634 },
        { "Hset", 700 },
        { "Hsetnx", 701 },
        { "Hget", 702 },
        { "Hmget", 703 },
        { "Hmset", 704 },
        { "Hgetall", 705 },
        { "Hdel", 706 },
        { "Hexists", 707 },
        { "Hlen", 708 },
        { "Hstrlen", 709 },
        { "Hkeys", 710 },
        { "Hvals", 711 },
        { "Hincrby", 712 },
        { "Hincrbyfloat", 713 },
        { "Hrandfield", 714 },
        { "Hscan", 715 },
        { "Lcs", 218 },
        { "Sort", 309 },
        { "SortRo", 310 },
        { "RaftkvBackup", 1000 },
        { "RaftkvSnapshot", 1001 },
        { "ExpireSweep", 3 },
        { "Setex", 219 },
        { "Psetex", 220 },
        { "Getex", 221 },
        { "Expire", 314 },
        { "Pexpire", 315 },
        { "Expireat", 316 },
        { "Pexpireat", 317 },
        { "Ttl", 318 },
        { "Pttl", 319 },
        { "Expiretime", 320 },
        { "Pexpiretime", 321 },
        { "Persist", 322 },
    };

    [Fact]
    public void EveryCommandId_KeepsItsPinnedValue()
    {
        foreach (var (name, value) in Pinned)
        {
            Assert.True(Enum.TryParse<CommandId>(name, out var id), $"CommandId.{name} was removed or renamed");
            Assert.Equal(value, (int)id);
        }
    }

    [Fact]
    public void EveryCommandId_IsPinned()
    {
        foreach (CommandId id in Enum.GetValues<CommandId>())
        {
            Assert.True(Pinned.ContainsKey(id.ToString()), $"CommandId.{id} is not pinned: add it to this table");
        }

        Assert.Equal(Pinned.Count, Enum.GetValues<CommandId>().Length);
    }

    [Fact]
    public void CommandIdValues_AreUnique()
    {
        var values = Enum.GetValues<CommandId>().Select(id => (int)id).ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
    }
}
