using System.Globalization;
using System.Text;

namespace RaftKV.Differential.Tests;

/// <summary>
/// A seeded generator of commands over all five types with a small key space, so that keys change type
/// and WRONGTYPE, empty-collection deletion and encoding conversions happen often, plus out-of-range and
/// malformed arguments. Keeps the comparison meaningful: lex-range commands only touch "zlex", whose
/// scores are always 0 (Redis leaves lex ranges over mixed scores undefined); SPOP is followed by DEL of
/// its key (the popped members are random); no other databases (RaftKV has none yet). Now and then a transaction
/// (MULTI, one to four commands whose replies compare exactly, EXEC or DISCARD, sometimes a queue-time error that
/// makes EXEC answer EXECABORT) is inserted, drawn from generators of their own so the rest of the sequence is the
/// same as without them.
/// Expiry commands use relative times of 1000 s or more and absolute ones in 2100 or in the past, so no
/// key expires while the two servers run, and GT/LT only compare times that differ by far more than the
/// two servers' clocks do (TTL replies are compared with a tolerance, <see cref="ReplyComparison"/>).
/// </summary>
internal sealed class CommandGenerator(int seed)
{
    private const string LexKey = "zlex";
    private const string GeoKey = "geo";
    private static readonly string[] Keys = ["a", "b", "c", "d", "e", "f"];
    private static readonly string LongMember = new('x', 70);

    // Commands whose replies ReplyComparison does not compare exactly (random, unordered, time-dependent): never
    // inside a transaction, whose EXEC array is compared as a whole.
    private static readonly HashSet<string> Inexact = new(StringComparer.OrdinalIgnoreCase)
    {
        "SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "RANDOMKEY", "SMEMBERS", "HKEYS", "HVALS", "SUNION", "SINTER",
        "SDIFF", "KEYS", "HGETALL", "SORT", "SORT_RO", "SCAN", "SSCAN", "HSCAN", "ZSCAN", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME",
    };

    private readonly Random _random = new(seed);
    private readonly Random _transactions = new(seed ^ 0x5EED);
    private CommandGenerator? _transactionBodies;

    // Functions draw from a generator of their own, so the other commands stay what each seed always gave.
    private readonly Random _functionRandom = new(seed ^ 0x5EED);

    public List<byte[][]> Generate(int count)
    {
        var commands = new List<byte[][]>(count);
        while (commands.Count < count)
        {
            if (_transactions.Next(30) == 0)
            {
                AddTransaction(commands);
            }

            var command = Next();
            commands.Add(Encode(command));
            if (command[0] == "SPOP")
            {
                commands.Add(Encode(["DEL", command[1]]));
            }

            if (commands.Count % 40 == 0)
            {
                commands.Add(Encode(Function()));
            }
        }

        return commands;
    }

    private void AddTransaction(List<byte[][]> commands)
    {
        _transactionBodies ??= new CommandGenerator(seed + 7919);
        commands.Add(Encode(["MULTI"]));
        for (var n = _transactions.Next(1, 5); n > 0; n--)
        {
            var command = _transactionBodies.Next();
            if (!Inexact.Contains(command[0]))
            {
                commands.Add(Encode(command));
            }
        }

        if (_transactions.Next(8) == 0)
        {
            commands.Add(Encode(["GET"]));
        }

        commands.Add(Encode([_transactions.Next(6) == 0 ? "DISCARD" : "EXEC"]));
    }

    private static byte[][] Encode(string[] command) => [.. command.Select(Encoding.UTF8.GetBytes)];

    private string[] Next()
    {
        var k = Key();
        if (_random.Next(10) == 0)
        {
            return Expiry(k);
        }

        if (_random.Next(12) == 0)
        {
            return Bits(k);
        }

        if (_random.Next(12) == 0)
        {
            return Geo(k);
        }

        if (_random.Next(12) == 0)
        {
            return Stream(k);
        }

        if (_random.Next(16) == 0)
        {
            return Script(k);
        }

        return _random.Next(100) switch
        {
            < 3 => ["SET", k, Member()],
            < 4 => ["INCRBY", k, Integer()],
            < 5 => ["APPEND", k, Member()],
            < 6 => With(["LCS", Key(), Key()], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", Integer()]),
            < 9 => [Pick("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), k, .. Members(1, 4)],
            < 11 => [Pick("LPOP", "RPOP"), k, .. Maybe(Integer())],
            < 13 => ["LRANGE", k, Integer(), Integer()],
            < 14 => [Pick("LLEN", "TYPE", "EXISTS", "STRLEN"), k],
            < 15 => ["LINDEX", k, Integer()],
            < 16 => ["LSET", k, Integer(), Member()],
            < 17 => ["LREM", k, Integer(), Member()],
            < 18 => ["LTRIM", k, Integer(), Integer()],
            < 19 => ["LINSERT", k, Pick("BEFORE", "AFTER", "MIDDLE"), Member(), Member()],
            < 20 => With(["LPOS", k, Member()], ["RANK", Integer()], ["COUNT", Integer()], ["MAXLEN", Integer()], ["RANK", "-1", "COUNT", "0"]),
            < 21 => ["LMOVE", k, Key(), Pick("LEFT", "RIGHT", "UP"), Pick("LEFT", "RIGHT")],
            < 22 => ["RPOPLPUSH", k, Key()],
            < 23 => ["LMPOP", Pick("1", "2", "0", "x", "5"), k, Key(), Pick("LEFT", "RIGHT", "NONE"), .. Maybe("COUNT", Integer())],
            < 24 => Pick<string[]>(["BLPOP", k, Key(), "0.01"], ["BRPOP", k, "0.01"], ["BLMOVE", k, Key(), "LEFT", "RIGHT", "0.01"], ["BZPOPMIN", k, "0.01"], ["BZPOPMAX", k, Key(), "0.01"], ["BLPOP", k, "-1"], ["BRPOPLPUSH", k, Key(), "0.01"]),
            < 29 => ["SADD", k, .. Members(1, 5)],
            < 31 => ["SREM", k, .. Members(1, 3)],
            < 33 => [Pick("SMEMBERS", "SCARD"), k],
            < 34 => ["SISMEMBER", k, Member()],
            < 35 => ["SMISMEMBER", k, .. Members(1, 3)],
            < 36 => ["SPOP", k, .. Maybe(Integer())],
            < 37 => ["SRANDMEMBER", k, .. Maybe(Integer())],
            < 38 => ["SMOVE", k, Key(), Member()],
            < 40 => [Pick("SINTER", "SUNION", "SDIFF"), k, .. Some(0, 2, Key)],
            < 42 => [Pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), Key(), k, .. Some(0, 2, Key)],
            < 43 => ["SINTERCARD", Pick("1", "2", "0", "3"), k, Key(), .. Maybe("LIMIT", Integer())],
            < 44 => [Pick("SSCAN", "HSCAN", "ZSCAN"), k, "0", .. Maybe("MATCH", Pick("m*", "*1*", "f?")), .. Maybe("COUNT", Integer())],
            < 49 => ZAdd(k),
            < 50 => ["ZINCRBY", k, Score(), Member()],
            < 51 => [Pick("ZSCORE", "ZRANK", "ZREVRANK"), k, Member()],
            < 52 => ["ZMSCORE", k, .. Members(1, 3)],
            < 53 => _random.Next(2) == 0 ? ["ZCARD", k] : ["OBJECT", "ENCODING", k],
            < 54 => ["ZCOUNT", k, Bound(), Bound()],
            < 57 => ZRange(k),
            < 58 => With(["ZRANGESTORE", Key(), k, Integer(), Integer()], ["BYSCORE"], ["REV"], ["BYSCORE", "LIMIT", Integer(), Integer()]),
            < 59 => ["ZREM", k, .. Members(1, 3)],
            < 60 => ["ZREMRANGEBYRANK", k, Integer(), Integer()],
            < 61 => ["ZREMRANGEBYSCORE", k, Bound(), Bound()],
            < 62 => [Pick("ZPOPMIN", "ZPOPMAX"), k, .. Maybe(Integer())],
            < 63 => ["ZMPOP", Pick("1", "2", "0"), k, Key(), Pick("MIN", "MAX", "MID"), .. Maybe("COUNT", Integer())],
            < 65 => ZAlgebra(k),
            < 66 => ["ZINTERCARD", Pick("1", "2", "0"), k, Key(), .. Maybe("LIMIT", Integer())],
            < 67 => ["ZRANDMEMBER", k, .. Maybe(Integer()), .. Maybe("WITHSCORES")],
            < 69 => Lex(),
            < 73 => ["HSET", k, .. Pairs(1, 3)],
            < 74 => [Pick("HSETNX", "HMSET"), k, Field(), Member()],
            < 76 => [Pick("HGET", "HEXISTS", "HSTRLEN"), k, Field()],
            < 77 => ["HMGET", k, Field(), Field()],
            < 79 => [Pick("HGETALL", "HKEYS", "HVALS", "HLEN"), k],
            < 80 => ["HDEL", k, Field(), Field()],
            < 81 => ["HINCRBY", k, Field(), Integer()],
            < 82 => ["HINCRBYFLOAT", k, Field(), Pick("1.5", "-0.25", "2", "abc", "inf", "1e2")],
            < 83 => ["HRANDFIELD", k, .. Maybe(Integer()), .. Maybe("WITHVALUES")],
            < 86 => ["DEL", k, .. Some(0, 1, Key)],
            < 87 => ["COPY", k, Key(), .. Maybe("REPLACE")],
            < 88 => ["TOUCH", k, Key()],
            < 89 => _random.Next(6) == 0 ? ConfigSet() : ["OBJECT", "ENCODING", k],
            < 91 => With(["SORT", k], ["ALPHA"], ["DESC"], ["LIMIT", Integer(), Integer()], ["BY", "nosort"], ["ALPHA", "STORE", Key()], ["GET", "#"], ["BY", "nosort", "STORE", Key()]),
            < 93 => ["RPUSH", k, .. Some(1, 6, () => _random.Next(-5, 30).ToString(CultureInfo.InvariantCulture))],
            < 95 => ["SADD", k, .. Some(1, 8, () => _random.Next(-5, 600).ToString(CultureInfo.InvariantCulture))],
            < 97 => ["HSET", k, .. Some(1, 6, () => "f" + _random.Next(0, 200).ToString(CultureInfo.InvariantCulture) + " v").SelectMany(p => p.Split(' '))],
            _ => ["ZADD", k, .. Some(1, 6, () => _random.Next(0, 300).ToString(CultureInfo.InvariantCulture) + " m" + _random.Next(0, 200).ToString(CultureInfo.InvariantCulture)).SelectMany(p => p.Split(' '))],
        };
    }

    // Libraries of one function each (FUNCTION LIST of several libraries, and a library's functions, come in hash order in
    // Redis): LOAD always with REPLACE, calls on the generator's keys, FCALL_RO of a function with and without no-writes.
    private static readonly string[] Libraries =
    [
        "#!lua name=dget\nredis.register_function('dget', function(keys) return redis.call('get', keys[1]) end)",
        "#!lua name=dincr\nredis.register_function('dincr', function(keys, args) return redis.pcall('incrby', keys[1], args[1]) end)",
        "#!lua name=dtype\nredis.register_function{function_name='dtype', callback=function(keys) return redis.call('type', keys[1]) end, flags={'no-writes'}}",
    ];

    private string[] Function()
    {
        var library = Libraries[_functionRandom.Next(Libraries.Length)];
        var name = library[(library.IndexOf('=') + 1)..library.IndexOf('\n')];
        var key = Keys[_functionRandom.Next(Keys.Length)];
        return _functionRandom.Next(8) switch
        {
            0 or 1 => ["FUNCTION", "LOAD", "REPLACE", library],
            2 => ["FUNCTION", "DELETE", name],
            3 => ["FUNCTION", "LIST", "LIBRARYNAME", name],
            4 => ["FCALL_RO", name, "1", key, "1"],
            _ => ["FCALL", name, "1", key, _functionRandom.Next(-3, 4).ToString(CultureInfo.InvariantCulture)],
        };
    }

    /// <summary>CONFIG SET of the encoding thresholds (by name or alias, sometimes two at once or a bad value): OBJECT ENCODING must follow.</summary>
    private string[] ConfigSet()
    {
        string Parameter() => Pick("hash-max-listpack-entries", "hash-max-ziplist-value", "zset-max-ziplist-entries",
            "zset-max-listpack-value", "set-max-intset-entries");
        string Value() => Pick("0", "1", "4", "64", "128", "512", "-1", "x", "1kb");
        return _random.Next(3) == 0
            ? ["CONFIG", "SET", Parameter(), Value(), Parameter(), Value()]
            : ["CONFIG", "SET", Parameter(), Value()];
    }

    // Explicit ids only, and no reply that shows a time (XADD *, XPENDING's idle, XINFO CONSUMERS and FULL), so that
    // both servers answer alike; XINFO STREAM is left out for radix-tree-nodes, which RaftKV only approximates.
    private string[] Stream(string k) => _random.Next(14) switch
    {
        < 3 => ["XADD", k, .. Pick<string[]>([], ["NOMKSTREAM"], ["MAXLEN", Pick("~", "="), Pick("2", "0", "-1", "x")], ["MINID", StreamId()]), StreamId(), .. Pairs(1, 2)],
        3 => [Pick("XRANGE", "XREVRANGE"), k, Pick("-", "+", StreamId(), "(" + StreamId()), Pick("-", "+", StreamId()), .. Maybe("COUNT", Integer())],
        4 => ["XLEN", k],
        5 => ["XDEL", k, StreamId(), .. Maybe(StreamId())],
        6 => ["XTRIM", k, Pick("MAXLEN", "MINID"), .. Maybe(Pick("~", "=")), Pick("1", "3", StreamId(), "x")],
        7 => ["XREAD", .. Maybe("COUNT", Integer()), "STREAMS", k, .. Maybe(Key()), Pick("0", "$", StreamId()), Pick("0", StreamId())],
        8 => ["XGROUP", Pick("CREATE", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER"), k, Pick("g1", "g2"), Pick("$", "0", "c1", StreamId()), .. Maybe("MKSTREAM")],
        9 => ["XREADGROUP", "GROUP", Pick("g1", "g2"), Pick("c1", "c2"), .. Maybe("COUNT", Integer()), .. Maybe("NOACK"), "STREAMS", k, Pick(">", "0", StreamId())],
        10 => ["XACK", k, Pick("g1", "g2"), StreamId(), .. Maybe(StreamId())],
        11 => ["XPENDING", k, Pick("g1", "g2")],
        12 => ["XCLAIM", k, Pick("g1", "g2"), Pick("c1", "c2"), "0", StreamId(), .. Maybe("JUSTID"), .. Maybe("FORCE")],
        _ => ["XAUTOCLAIM", k, Pick("g1", "g2"), Pick("c1", "c2"), "0", Pick("0", StreamId()), .. Maybe("COUNT", Pick("1", "3", "0")), .. Maybe("JUSTID")],
    };

    // Scripts whose replies do not depend on Lua's hash order or randomness (RaftKV iterates pairs() in canonical order);
    // a failing redis.call is never in tail position (Lua 5.4 then drops the frame the error's suffix names).
    private string[] Script(string k) => _random.Next(10) switch
    {
        0 => ["EVAL", "return redis.call('get', KEYS[1])", "1", k],
        1 => ["EVAL", "local r = redis.call('rpush', KEYS[1], ARGV[1]) return {r, redis.call('llen', KEYS[1])}", "1", k, Member()],
        2 => ["EVAL", "return redis.pcall('incrby', KEYS[1], ARGV[1])", "1", k, Integer()],
        3 => ["EVAL", "local t = redis.call('type', KEYS[1]) return {t, t.ok, KEYS[1], ARGV[1], 3.7, true, false}", "1", k, Member()],
        4 => ["EVAL_RO", "return {redis.call('exists', KEYS[1]), redis.call('exists', KEYS[2])}", "2", k, Key()],
        5 => ["EVAL", "local r = redis.call('hset', KEYS[1], ARGV[1], ARGV[2]) return r", "1", k, "f" + _random.Next(0, 5).ToString(CultureInfo.InvariantCulture), Member()],
        6 => ["EVAL", "local r = redis.call('zadd', KEYS[1], ARGV[1], ARGV[2]) return redis.call('zrange', KEYS[1], 0, -1, 'WITHSCORES')", "1", k, Score(), Member()],
        7 => ["EVAL", "return 1", Pick("-1", "2", "x"), k],
        8 => ["EVAL", "redis.call('set', KEYS[1], ARGV[1]) local r = redis.call('lpush', KEYS[1], 'x') return r", "1", k, Member()],
        _ => ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    };

    private string StreamId() => _random.Next(10) == 0 ? Pick("x", "0-0", "1-*") : _random.Next(1, 30).ToString(CultureInfo.InvariantCulture) + "-" + _random.Next(0, 3).ToString(CultureInfo.InvariantCulture);

    private string[] Expiry(string k) => _random.Next(12) switch
    {
        0 => ["EXPIRE", k, Seconds(), .. Maybe(Pick("NX", "XX"))],
        1 => ["PEXPIRE", k, Milliseconds(), .. Maybe(Pick("NX", "XX"))],
        2 => ["EXPIREAT", k, UnixSeconds(), .. Conditions()],
        3 => ["PEXPIREAT", k, UnixMilliseconds(), .. Conditions()],
        4 or 5 => [Pick("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"), k],
        6 => ["PERSIST", k],
        7 => ["SETEX", k, Seconds(), Member()],
        8 => ["PSETEX", k, Milliseconds(), Member()],
        9 => ["GETEX", k, .. Pick<string[]>([], ["EX", Seconds()], ["PX", Milliseconds()], ["EXAT", UnixSeconds()], ["PXAT", UnixMilliseconds()], ["PERSIST"], ["EX", "1000", "PERSIST"], ["PX", "5000000", "PX", "6000000"])],
        10 => ["SET", k, Member(), .. Pick<string[]>(["EX", Seconds()], ["PX", Milliseconds()], ["EXAT", UnixSeconds()], ["PXAT", UnixMilliseconds()], ["KEEPTTL"], ["XX", "KEEPTTL", "GET"], ["NX", "EX", Seconds()])],
        _ => ["SET", k, Member(), "PXAT", UnixMilliseconds()],
    };

    // Bitmaps and HyperLogLog. PFCOUNT always names two keys: with one, Redis stores the count in the string (a write
    // RaftKV's read PFCOUNT does not make), and a later GETEX, APPEND or LCS of that string would differ by design.
    private string[] Bits(string k) => _random.Next(12) switch
    {
        0 or 1 => ["SETBIT", k, BitOffset(), Pick("0", "1", "2", "-1")],
        2 => ["GETBIT", k, BitOffset()],
        3 => ["BITCOUNT", k, .. Pick<string[]>([], [Integer(), Integer()], [Integer(), Integer(), Pick("BIT", "BYTE", "bits")], [Integer()])],
        4 => ["BITPOS", k, Pick("0", "1", "2"), .. Pick<string[]>([], [Integer()], [Integer(), Integer()], [Integer(), Integer(), Pick("BIT", "BYTE", "x")])],
        5 => ["BITOP", Pick("AND", "OR", "XOR", "NOT", "NAND"), Key(), k, .. Some(0, 2, Key)],
        6 or 7 => ["BITFIELD", k, .. Maybe("OVERFLOW", Pick("WRAP", "SAT", "FAIL", "BAD")), .. BitfieldOp(), .. Maybe(BitfieldOp())],
        8 => ["BITFIELD_RO", k, "GET", BitType(), BitOffset()],
        9 => ["PFADD", k, .. Members(0, 4)],
        10 => ["PFCOUNT", k, Key(), .. Some(0, 1, Key)],
        _ => ["PFMERGE", k, .. Some(0, 2, Key)],
    };

    private string[] BitfieldOp() => Pick<string[]>(["GET", BitType(), BitOffset()], ["SET", BitType(), BitOffset(), Integer()], ["INCRBY", BitType(), BitOffset(), Integer()]);

    private string BitType() => Pick("i8", "u8", "i5", "u1", "i64", "u63", "u64", "i0", "x4", "u16");

    private string BitOffset() => _random.Next(12) switch
    {
        0 => Pick("-1", "4294967296", "abc", "#2", "#-1"),
        1 => "#" + _random.Next(0, 20).ToString(CultureInfo.InvariantCulture),
        _ => _random.Next(0, 200).ToString(CultureInfo.InvariantCulture),
    };

    // Geo commands mostly on GeoKey, whose members sit at distinct points about Sicily (three-decimal coordinates, so
    // distances practically never tie), sometimes on the mixed keys, whose arbitrary scores decode to clamped corner
    // points that often coincide: there no sorting, since Redis orders equal distances by its partial quicksort
    // (COUNT) or glibc's qsort. Distances have four decimals and coordinates Redis's 17-decimal form in both
    // servers, so replies compare exactly.
    private string[] Geo(string k)
    {
        var key = _random.Next(4) == 0 ? k : GeoKey;
        var sorted = key == GeoKey;
        return _random.Next(12) switch
        {
            < 3 => ["GEOADD", key, .. Some(0, 2, () => Pick("NX", "XX", "CH")), .. Some(1, 3, () => Longitude() + " " + Latitude() + " " + Member()).SelectMany(t => t.Split(' '))],
            3 => ["GEOPOS", key, .. Members(1, 3)],
            4 => ["GEODIST", key, Member(), Member(), .. Maybe(Unit())],
            5 => ["GEOHASH", key, .. Members(1, 3)],
            6 or 7 => ["GEOSEARCH", key, .. Centre(), .. Area(), .. SearchOptions(sorted)],
            8 => ["GEOSEARCHSTORE", Key(), key, .. Centre(), .. Area(), .. Maybe("STOREDIST"), .. (sorted ? Maybe("COUNT", Pick("1", "2", "5")) : [])],
            9 => [Pick("GEORADIUS", "GEORADIUS_RO"), key, Longitude(), Latitude(), Radius(), Unit(), .. SearchOptions(sorted)],
            10 => [Pick("GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"), key, Member(), Radius(), Unit(), .. SearchOptions(sorted)],
            _ => ["GEORADIUS", key, Longitude(), Latitude(), Radius(), Unit(), Pick("STORE", "STOREDIST"), Key(), .. (sorted ? Maybe("COUNT", "2") : [])],
        };
    }

    private string[] Centre() => _random.Next(8) switch
    {
        0 => [],
        < 4 => ["FROMMEMBER", Member()],
        _ => ["FROMLONLAT", Longitude(), Latitude()],
    };

    private string[] Area() => _random.Next(8) switch
    {
        0 => [],
        < 5 => ["BYRADIUS", Radius(), Unit()],
        _ => ["BYBOX", Radius(), Radius(), Unit()],
    };

    private string[] SearchOptions(bool sorted)
    {
        var options = new List<string>();
        foreach (var option in sorted ? new[] { "WITHDIST", "WITHCOORD", "WITHHASH", "ASC", "DESC", "ANY" } : ["WITHDIST", "WITHCOORD", "WITHHASH"])
        {
            if (_random.Next(5) == 0)
            {
                options.Add(option);
            }
        }

        if (sorted && _random.Next(3) == 0)
        {
            options.AddRange(["COUNT", Pick("1", "2", "5", "0", "x")]);
        }

        return [.. options];
    }

    private string Longitude() => _random.Next(30) == 0
        ? Pick("200", "-180", "180", "abc")
        : (12.5 + (_random.Next(0, 3000) / 1000.0)).ToString("0.000", CultureInfo.InvariantCulture);

    private string Latitude() => _random.Next(30) == 0
        ? Pick("86", "-85.05112878", "nan", "1e400")
        : (36.5 + (_random.Next(0, 2500) / 1000.0)).ToString("0.000", CultureInfo.InvariantCulture);

    private string Radius() => Pick("0", "1", "50", "120", "300", "5000", "-1", "x", "2.5");

    private string Unit() => Pick("m", "km", "KM", "mi", "ft", "yd");

    private string Seconds() => Pick("1000", "5000", "86400", "100000", "-1", "0", "abc", "9223372036854775", "9223372036854776");

    private string Milliseconds() => Pick("1000000", "5000000", "86400000", "-5", "0", "1.5", "9223372036854775807");

    private string UnixSeconds() => Pick("4102444800", "4102444900", "4102445000", "1000", "0", "9223372036854775", "9223372036854776");

    private string UnixMilliseconds() => Pick("4102444800000", "4102444850000", "4102444900000", "4102444800500", "1", "-5", "9223372036854775807");

    private string[] Conditions() => _random.Next(8) switch
    {
        0 => [Pick("NX", "XX", "GT", "LT"), Pick("NX", "XX", "GT", "LT")],
        1 => ["FOO"],
        < 5 => [Pick("NX", "XX", "GT", "LT")],
        _ => [],
    };

    private string[] ZAdd(string k)
    {
        var options = new List<string>();
        foreach (var option in new[] { "NX", "XX", "GT", "LT", "CH", "INCR" })
        {
            if (_random.Next(8) == 0)
            {
                options.Add(option);
            }
        }

        var pairs = options.Contains("INCR") && _random.Next(4) > 0 ? 1 : _random.Next(1, 4);
        return ["ZADD", k, .. options, .. Enumerable.Range(0, pairs).SelectMany(_ => new[] { Score(), Member() })];
    }

    private string[] ZRange(string k) => _random.Next(6) switch
    {
        0 => With(["ZRANGE", k, Integer(), Integer()], ["WITHSCORES"], ["REV"], ["REV", "WITHSCORES"], ["LIMIT", "0", "1"]),
        1 => With(["ZRANGE", k, Bound(), Bound(), "BYSCORE"], ["WITHSCORES"], ["REV"], ["LIMIT", Integer(), Integer()]),
        2 => With(["ZRANGEBYSCORE", k, Bound(), Bound()], ["WITHSCORES"], ["LIMIT", Integer(), Integer()], ["REV"]),
        3 => With(["ZREVRANGEBYSCORE", k, Bound(), Bound()], ["WITHSCORES"], ["LIMIT", Integer(), Integer()]),
        4 => With(["ZREVRANGE", k, Integer(), Integer()], ["WITHSCORES"]),
        _ => ["ZRANGE", k, "0", "-1", "WITHSCORES"],
    };

    private string[] ZAlgebra(string k)
    {
        var name = Pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE");
        var keys = new[] { k, Key() };
        var command = new List<string> { name };
        if (name.EndsWith("STORE", StringComparison.Ordinal))
        {
            command.Add(Key());
        }

        command.Add(Pick("2", "2", "0", "3"));
        command.AddRange(keys);
        if (_random.Next(3) == 0)
        {
            command.AddRange(["WEIGHTS", Pick("1", "2", "0.5", "inf", "x"), Pick("1", "-1", "0")]);
        }

        if (_random.Next(3) == 0)
        {
            command.AddRange(["AGGREGATE", Pick("SUM", "MIN", "MAX", "AVG")]);
        }

        if (!name.EndsWith("STORE", StringComparison.Ordinal) && _random.Next(2) == 0)
        {
            command.Add("WITHSCORES");
        }

        return [.. command];
    }

    private string[] Lex() => _random.Next(7) switch
    {
        0 or 1 => ["ZADD", LexKey, .. Some(1, 3, Member).SelectMany(m => new[] { "0", m })],
        2 => With(["ZRANGEBYLEX", LexKey, LexBound(), LexBound()], ["LIMIT", Integer(), Integer()]),
        3 => ["ZREVRANGEBYLEX", LexKey, LexBound(), LexBound()],
        4 => ["ZLEXCOUNT", LexKey, LexBound(), LexBound()],
        5 => _random.Next(3) switch
        {
            0 => ["ZREMRANGEBYLEX", LexKey, LexBound(), LexBound()],
            1 => [Pick("SADD", "LPUSH", "ZINTERSTORE", "OBJECT", "ZPOPMIN", "SMEMBERS"), .. Pick<string[]>(["a", "zlex"], ["2", "zlex", "b"], ["ENCODING", "zlex"], ["zlex"])],
            _ => [Pick("ZUNIONSTORE", "ZDIFFSTORE"), Key(), "2", LexKey, Key()],
        },
        _ => With(["ZRANGE", LexKey, LexBound(), LexBound(), "BYLEX"], ["REV"], ["LIMIT", Integer(), Integer()], ["WITHSCORES"]),
    };

    private string Key() => Keys[_random.Next(Keys.Length)];

    private string Member() => _random.Next(40) switch
    {
        0 => LongMember,
        1 => string.Empty,
        < 16 => _random.Next(-3, 12).ToString(CultureInfo.InvariantCulture),
        _ => "m" + _random.Next(0, 9).ToString(CultureInfo.InvariantCulture),
    };

    private string Field() => _random.Next(30) == 0 ? LongMember : "f" + _random.Next(0, 6).ToString(CultureInfo.InvariantCulture);

    private string Integer() => _random.Next(25) switch
    {
        0 => "x",
        1 => "1.5",
        2 => "9223372036854775808",
        3 => "-9223372036854775808",
        4 => "9223372036854775807",
        _ => _random.Next(-6, 12).ToString(CultureInfo.InvariantCulture),
    };

    private string Score() => Pick("1", "2", "2.5", "-1", "0", "3", "10", "inf", "-inf", "1e3", "0.1", "abc", "5", "7");

    private string Bound() => Pick("-inf", "+inf", "(1", "2", "(2.5", "0", "5", "[1", "abc", "(", "10");

    private string LexBound() => Pick("-", "+", "[m1", "(m3", "[m7", "(5", "[", "m1", "[2");

    private string[] Members(int min, int max) => [.. Some(min, max, Member)];

    private string[] Pairs(int min, int max) => [.. Some(min, max, () => Field() + "\n" + Member()).SelectMany(p => p.Split('\n'))];

    private IEnumerable<string> Some(int min, int max, Func<string> next) => Enumerable.Range(0, _random.Next(min, max + 1)).Select(_ => next()).ToList();

    private string[] Maybe(params string[] words) => _random.Next(2) == 0 ? words : [];

    private string[] With(string[] command, params string[][] options) =>
        _random.Next(3) == 0 ? command : [.. command, .. options[_random.Next(options.Length)]];

    private T Pick<T>(params T[] choices) => choices[_random.Next(choices.Length)];
}
