using System.Globalization;
using System.Text;

namespace RaftKV.Integration.Tests.Fuzz;

/// <summary>
/// Hostile RESP input from one seeded <see cref="Random"/>: well-formed commands (so the cluster has state to
/// replicate and compare), the same mutated byte by byte, headers claiming huge or negative lengths, invalid UTF-8,
/// RESP3 reply types and attributes sent as requests, nested arrays, inline junk, and frames cut short. The same seed
/// gives the same frames. Commands that would stop the cluster or every client (CLIENT PAUSE, SHUTDOWN, DEBUG SLEEP,
/// membership, CONFIG SET) are not generated, so what breaks is the input handling, not the test's own instructions.
/// </summary>
internal sealed class RespFuzzFrames(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[][] Commands =
    [
        ["SET", "{k}", "{v}"], ["GET", "{k}"], ["INCR", "{k}"], ["APPEND", "{k}", "{v}"], ["DEL", "{k}", "{k}"],
        ["LPUSH", "{k}", "{v}", "{v}"], ["RPOP", "{k}"], ["LRANGE", "{k}", "0", "-1"], ["HSET", "{k}", "{v}", "{v}"],
        ["HGETALL", "{k}"], ["SADD", "{k}", "{v}"], ["SMEMBERS", "{k}"], ["ZADD", "{k}", "1.5", "{v}"],
        ["ZRANGE", "{k}", "0", "-1", "WITHSCORES"], ["XADD", "{k}", "*", "f", "{v}"], ["EXPIRE", "{k}", "100"],
        ["PEXPIRE", "{k}", "50"], ["TTL", "{k}"], ["GETRANGE", "{k}", "-5", "99999999999"], ["SETRANGE", "{k}", "3", "{v}"],
        ["PFADD", "{k}", "{v}"], ["BITCOUNT", "{k}"], ["SETBIT", "{k}", "77", "1"], ["MSET", "{k}", "{v}", "{k}", "{v}"],
        ["PING"], ["ECHO", "{v}"], ["HELLO", "3"], ["HELLO", "2"], ["CLIENT", "SETNAME", "fuzz"], ["MULTI"], ["EXEC"],
        ["DISCARD"], ["WATCH", "{k}"], ["EVAL", "return redis.call('INCR', KEYS[1])", "1", "{k}"], ["SCAN", "0", "COUNT", "5"],
        ["TYPE", "{k}"], ["DBSIZE"], ["SUBSCRIBE", "fuzz"], ["PUBLISH", "fuzz", "{v}"], ["BLPOP", "{k}", "0.05"],
        ["OBJECT", "ENCODING", "{k}"], ["STRLEN", "{k}"], ["SORT", "{k}", "LIMIT", "0", "5"], ["GETDEL", "{k}"],
        ["INCRBYFLOAT", "{k}", "1e308"], ["LINSERT", "{k}", "BEFORE", "{v}", "{v}"], ["SRANDMEMBER", "{k}", "-5"],

        // Numbers a client chooses: timeouts, TTLs, increments, indexes and counts at their extremes.
        ["BLPOP", "{k}", "{n}"], ["BRPOP", "{k}", "{k}", "{n}"], ["BZPOPMIN", "{k}", "{n}"], ["BLMOVE", "{k}", "{k}", "LEFT", "RIGHT", "{n}"],
        ["XREAD", "BLOCK", "{n}", "STREAMS", "{k}", "$"], ["XREAD", "COUNT", "{n}", "STREAMS", "{k}", "0"], ["EXPIRE", "{k}", "{n}"],
        ["PEXPIREAT", "{k}", "{n}"], ["SET", "{k}", "{v}", "PX", "{n}"], ["GETEX", "{k}", "EXAT", "{n}"], ["INCRBY", "{k}", "{n}"],
        ["DECRBY", "{k}", "{n}"], ["INCRBYFLOAT", "{k}", "{n}"], ["HINCRBY", "{k}", "f", "{n}"], ["ZINCRBY", "{k}", "{n}", "m"],
        ["LRANGE", "{k}", "{n}", "{n}"], ["GETRANGE", "{k}", "{n}", "{n}"], ["ZRANGE", "{k}", "{n}", "{n}"], ["LINDEX", "{k}", "{n}"],
        ["LTRIM", "{k}", "{n}", "{n}"], ["SCAN", "{n}", "COUNT", "{n}"], ["SSCAN", "{k}", "0", "COUNT", "{n}"], ["LPOS", "{k}", "{v}", "RANK", "{n}", "MAXLEN", "{n}"],
        ["SPOP", "{k}", "{n}"], ["LPOP", "{k}", "{n}"], ["ZPOPMIN", "{k}", "{n}"], ["XRANGE", "{k}", "-", "+", "COUNT", "{n}"],
        ["XTRIM", "{k}", "MAXLEN", "{n}"], ["ZRANGEBYSCORE", "{k}", "-inf", "+inf", "LIMIT", "{n}", "{n}"], ["SORT", "{k}", "LIMIT", "{n}", "{n}"],
        ["BITPOS", "{k}", "1", "{n}", "{n}"], ["BITFIELD", "{k}", "GET", "u8", "{n}"], ["OBJECT", "FREQ", "{k}"], ["PFCOUNT", "{k}", "{k}"],
        ["SRANDMEMBER", "{k}", "{n}"], ["ZRANDMEMBER", "{k}", "{n}"], ["HRANDFIELD", "{k}", "{n}"],
    ];

    private static readonly string[] Numbers =
    [
        "0", "1", "-1", "0.05", "5000000", "9000000000", "1e300", "-1e300", "9.3e15", "nan", "inf", "-inf", "+inf", "2147483647",
        "2147483648", "-2147483648", "4294967296", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "18446744073709551615", "1e-320", "0x10", "1_000", " 1", "", "99999999999999999999999999",
    ];

    private static readonly string[] HugeNumbers =
    [
        "2147483647", "2147483648", "9999999999", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "-1", "-2", "-2147483648", "-9223372036854775808", "0", "1048577", "536870913",
        "99999999999999999999999", "+5", " 5", "5 ", "0x10", "", "1e3",
    ];

    private static readonly string[] Resp3Frames =
    [
        "%1\r\n+a\r\n+b\r\n", "~2\r\n$1\r\na\r\n:1\r\n", "|1\r\n+ttl\r\n:3\r\n*1\r\n$4\r\nPING\r\n", ">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n",
        "_\r\n", "#t\r\n", ",1.5\r\n", "(12345678901234567890\r\n", "=7\r\ntxt:abc\r\n", "!3\r\nERR\r\n", "+OK\r\n", "-ERR x\r\n",
        ":42\r\n", "*1\r\n*1\r\n$4\r\nPING\r\n", "*2\r\n%1\r\n+a\r\n+b\r\n$1\r\nx\r\n", "*1\r\n~1\r\n$4\r\nPING\r\n",
        "*2\r\n$3\r\nGET\r\n|1\r\n+a\r\n+b\r\n", "*3\r\n$3\r\nSET\r\n_\r\n#f\r\n", "*-1\r\n", "*0\r\n", "$-1\r\n", "$5\r\nhello\r\n",
    ];

    /// <summary>One frame, or a short run of frames, to send on a connection.</summary>
    public byte[] Next() => _random.Next(9) switch
    {
        0 or 1 => Valid(),
        2 or 3 => Mutate(Valid()),
        4 => HugeHeader(),
        5 => Encoding.ASCII.GetBytes(Resp3Frames[_random.Next(Resp3Frames.Length)]),
        6 => InvalidUtf8(),
        7 => InlineJunk(),
        _ => Truncate(Valid()),
    };

    /// <summary>Whether to cut the connection right after the frames (a client that goes away mid-request).</summary>
    public bool CloseAbruptly() => _random.Next(4) == 0;

    public int FramesPerConnection() => 1 + _random.Next(6);

    public int Pick(int count) => _random.Next(count);

    private byte[] Valid()
    {
        var template = Commands[_random.Next(Commands.Length)];
        var args = template.Select(a => a switch
        {
            "{k}" => Encoding.ASCII.GetBytes("fz:" + _random.Next(40).ToString(CultureInfo.InvariantCulture)),
            "{n}" => Encoding.ASCII.GetBytes(Numbers[_random.Next(Numbers.Length)]),
            "{v}" => RandomBytes(_random.Next(4) == 0 ? _random.Next(2000) : _random.Next(12), printable: _random.Next(3) != 0),
            _ => Encoding.ASCII.GetBytes(a),
        }).ToArray();
        return _random.Next(5) == 0 && args.All(static a => a.All(static b => b is > 32 and < 127)) ? Inline(args) : Multibulk(args);
    }

    private static byte[] Multibulk(byte[][] args)
    {
        var frame = new MemoryStream();
        frame.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            frame.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            frame.Write(arg);
            frame.Write("\r\n"u8);
        }

        return frame.ToArray();
    }

    private static byte[] Inline(byte[][] args) => [.. string.Join(' ', args.Select(Encoding.ASCII.GetString)).Select(static c => (byte)c), (byte)'\r', (byte)'\n'];

    private byte[] Mutate(byte[] frame)
    {
        var bytes = frame.ToList();
        var edits = 1 + _random.Next(3);
        for (var i = 0; i < edits && bytes.Count > 0; i++)
        {
            var at = _random.Next(bytes.Count);
            switch (_random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)_random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + _random.Next(4)));
                    break;
                case 3:
                    bytes.InsertRange(at, RandomBytes(1 + _random.Next(4), printable: false));
                    break;
                case 4:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, 1 + _random.Next(16))));
                    break;
                default:
                    return ReplaceLength(frame);
            }
        }

        return [.. bytes];
    }

    /// <summary>A well-formed frame whose array count or one bulk length is replaced by an extreme value.</summary>
    private byte[] ReplaceLength(byte[] frame)
    {
        var text = Encoding.Latin1.GetString(frame);
        var headers = Enumerable.Range(0, text.Length).Where(i => (text[i] == '*' || text[i] == '$') && (i == 0 || text[i - 1] == '\n')).ToList();
        if (headers.Count == 0)
            return frame;
        var at = headers[_random.Next(headers.Count)];
        var end = text.IndexOf('\r', at);
        if (end < 0)
            return frame;
        return Encoding.Latin1.GetBytes(text[..(at + 1)] + HugeNumbers[_random.Next(HugeNumbers.Length)] + text[end..]);
    }

    private byte[] HugeHeader()
    {
        var number = HugeNumbers[_random.Next(HugeNumbers.Length)];
        var text = _random.Next(4) switch
        {
            0 => $"*{number}\r\n",
            1 => $"*2\r\n$3\r\nGET\r\n${number}\r\n",
            2 => $"*{number}\r\n$3\r\nSET\r\n$1\r\nk\r\n",
            _ => $"*3\r\n$3\r\nSET\r\n$4\r\nfz:h\r\n${number}\r\nabc",
        };
        return Encoding.ASCII.GetBytes(text);
    }

    private byte[] InvalidUtf8()
    {
        byte[][] invalid = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFE, 0xFF]];
        byte[] Pick() => [.. invalid[_random.Next(invalid.Length)], .. RandomBytes(_random.Next(4), printable: false)];
        var args = _random.Next(3) switch
        {
            0 => new[] { Pick(), Pick() },
            1 => ["SET"u8.ToArray(), [.. "fz:"u8, .. Pick()], Pick()],
            _ => ["CLIENT"u8.ToArray(), "SETNAME"u8.ToArray(), Pick()],
        };
        return Multibulk(args);
    }

    private byte[] InlineJunk()
    {
        var length = _random.Next(10) == 0 ? 70_000 + _random.Next(10_000) : _random.Next(200);
        var junk = RandomBytes(length, printable: _random.Next(2) == 0);
        for (var i = 0; i < junk.Length; i++)
        {
            if (junk[i] == (byte)'*')
                junk[i] = (byte)'"'; // unbalanced quotes are part of the junk; a leading '*' would make it multibulk
        }

        return _random.Next(3) == 0 ? junk : [.. junk, (byte)'\r', (byte)'\n'];
    }

    private byte[] Truncate(byte[] frame) => frame.Length <= 1 ? frame : frame[..(1 + _random.Next(frame.Length - 1))];

    private byte[] RandomBytes(int length, bool printable)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
            bytes[i] = printable ? (byte)_random.Next(33, 127) : (byte)_random.Next(256);
        return bytes;
    }
}
