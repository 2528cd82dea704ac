using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Rdb;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>DUMP and RESTORE with Redis 7.0's payload format (<see cref="DumpPayload"/>), replies and error texts.</summary>
internal static class DumpCommands
{
    public const string BusyKey = "BUSYKEY Target key name already exists.";
    public const string InvalidTtl = "ERR Invalid TTL value, must be >= 0";
    public const string BadPayload = "ERR DUMP payload version or checksum are wrong";
    public const string BadFormat = "ERR Bad data format";
    public const string InvalidIdleTime = "ERR Invalid IDLETIME value, must be >= 0";
    public const string InvalidFreq = "ERR Invalid FREQ value, must be >= 0 and <= 255";

    private static readonly byte[] AbsTtl = "ABSTTL"u8.ToArray();

    public static Reply Dump(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindLive(args[0], now);
        return entry is null ? Reply.Null : Reply.Bulk(DumpPayload.Create(entry.Value));
    }

    /// <summary>The options after key, ttl and payload, checked as Redis parses them before it looks at the key.</summary>
    public static Reply? ValidateRestore(byte[][] args) => TryParseOptions(args, out _) is { } error ? Reply.Error(error) : null;

    /// <summary>RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], in Redis's order of checks.</summary>
    public static Reply Restore(KeyTable keys, byte[][] args, long now)
    {
        if (TryParseOptions(args, out var options) is { } error)
            return Reply.Error(error);
        var existing = keys.FindForWrite(args[0], now);
        if (!options.Replace && existing is not null)
            return Reply.Error(BusyKey);
        if (!RedisIntegers.TryParse(args[1], out var ttl))
            return Reply.Error(ErrorTexts.NotInteger);
        if (ttl < 0)
            return Reply.Error(InvalidTtl);
        if (!DumpPayload.HasValidFooter(args[2]))
            return Reply.Error(BadPayload);
        var value = DumpPayload.TryRead(args[2]);
        if (value is null)
            return Reply.Error(BadFormat);

        if (existing is not null)
            keys.Remove(args[0]);
        if (ttl != 0 && !options.AbsoluteTtl)
            ttl = ttl > long.MaxValue - now ? long.MaxValue : ttl + now;

        // An expiry already past restores nothing (the replaced key is gone all the same), as Redis does on a master.
        if (ttl != 0 && ttl <= now)
        {
            if (existing is not null)
                keys.Notify(KeyspaceEvents.Generic, "del", args[0]);
            return Reply.Ok;
        }

        var entry = keys.Put(args[0], value, ttl == 0 ? KeyEntry.NoExpiry : ttl);
        keys.Notify(KeyspaceEvents.Generic, "restore", args[0]);

        // IDLETIME sets the key's last access that many seconds before the entry's time (not replicated state: OBJECT
        // IDLETIME only), as Redis sets the restored object's LRU clock.
        if (options.IdleSeconds > 0)
            entry.Touch(now - Math.Min(options.IdleSeconds, now / 1000) * 1000);
        if (options.Frequency >= 0)
            entry.Frequency = (byte)options.Frequency;
        return Reply.Ok;
    }

    /// <summary>The log form of RESTORE: a relative TTL made absolute at the entry's time (ABSTTL), as Redis propagates it.</summary>
    public static byte[][]? ToAbsolute(byte[][] args, long now)
    {
        if (TryParseOptions(args, out var options) is not null || options.AbsoluteTtl
            || !RedisIntegers.TryParse(args[1], out var ttl) || ttl <= 0 || ttl > long.MaxValue - now)
            return null;
        var rewritten = new byte[args.Length + 1][];
        args.CopyTo(rewritten, 0);
        rewritten[1] = RedisIntegers.Format(ttl + now);
        rewritten[^1] = AbsTtl;
        return rewritten;
    }

    private static string? TryParseOptions(byte[][] args, out RestoreOptions options)
    {
        options = default;
        long idle = -1, freq = -1;
        for (var i = 3; i < args.Length; i++)
        {
            var more = args.Length - i - 1;
            if (Keyword.Is(args[i], "REPLACE"u8))
            {
                options.Replace = true;
            }
            else if (Keyword.Is(args[i], "ABSTTL"u8))
            {
                options.AbsoluteTtl = true;
            }
            else if (Keyword.Is(args[i], "IDLETIME"u8) && more >= 1 && freq == -1)
            {
                if (!RedisIntegers.TryParse(args[++i], out idle))
                    return ErrorTexts.NotInteger;
                if (idle < 0)
                    return InvalidIdleTime;
            }
            else if (Keyword.Is(args[i], "FREQ"u8) && more >= 1 && idle == -1)
            {
                if (!RedisIntegers.TryParse(args[++i], out freq))
                    return ErrorTexts.NotInteger;
                if (freq is < 0 or > 255)
                    return InvalidFreq;
            }
            else
            {
                return ErrorTexts.Syntax;
            }
        }

        options.IdleSeconds = idle;
        options.Frequency = freq;
        return null;
    }

    private struct RestoreOptions
    {
        public bool Replace;
        public bool AbsoluteTtl;

        /// <summary>IDLETIME's seconds, or -1.</summary>
        public long IdleSeconds;

        /// <summary>FREQ's counter (0-255), or -1.</summary>
        public long Frequency;
    }
}
