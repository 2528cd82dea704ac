using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Geo;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// GEOADD, GEODIST, GEOHASH and GEOPOS with Redis 7.0 semantics: a geo set is a sorted set whose scores are 52-bit
/// geohashes (<see cref="GeoHash"/>); the searches are in <see cref="GeoSearchCommand"/>.
/// </summary>
internal static class GeoCommands
{
    private const string Base32 = "0123456789bcdefghjkmnpqrstuvwxyz";

    /// <summary>GEOADD's stateless checks, made before Redis looks at the key: options, triples, coordinates.</summary>
    public static Reply? ValidateAdd(byte[][] args) => TryParseAdd(args, out _, out _, out var error) ? null : error;

    /// <summary>Validates <paramref name="args"/> for GEODIST (the unit is checked before the key), or null when fine.</summary>
    public static Reply? ValidateDist(byte[][] args) => args.Length switch
    {
        4 => GeoArguments.TryParseUnit(args[3], out _, out var error) ? null : error,
        > 4 => Reply.Error(ErrorTexts.Syntax),
        _ => null,
    };

    /// <summary>GEOADD key [NX|XX] [CH] lon lat member ...: ZADD of each member at its geohash score.</summary>
    public static Reply Add(KeyTable keys, byte[][] args, long now)
    {
        if (!TryParseAdd(args, out var firstTriple, out var scores, out var error))
        {
            return error!;
        }

        var zaddArgs = new byte[firstTriple + (2 * scores.Length)][];
        Array.Copy(args, zaddArgs, firstTriple);
        for (var i = 0; i < scores.Length; i++)
        {
            zaddArgs[firstTriple + (2 * i)] = Encoding.ASCII.GetBytes(scores[i].ToString(CultureInfo.InvariantCulture));
            zaddArgs[firstTriple + (2 * i) + 1] = args[firstTriple + (3 * i) + 2];
        }

        return SortedSetCommands.Add(keys, zaddArgs, now, incrOnly: false);
    }

    /// <summary>GEODIST key member1 member2 [unit]: four decimals, or null when the key or a member is missing.</summary>
    public static Reply Dist(KeyTable keys, byte[][] args, long now)
    {
        if (ValidateDist(args) is { } invalid)
        {
            return invalid;
        }

        double toMeters = 1;
        if (args.Length == 4)
        {
            GeoArguments.TryParseUnit(args[3], out toMeters, out _);
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        if (zset is null || !zset.TryGetScore(args[1], out var score1) || !zset.TryGetScore(args[2], out var score2))
        {
            return Reply.Null;
        }

        var (longitude1, latitude1) = GeoHash.DecodeScore(score1);
        var (longitude2, latitude2) = GeoHash.DecodeScore(score2);
        return Reply.Bulk(GeoText.Distance(GeoDistance.Between(longitude1, latitude1, longitude2, latitude2) / toMeters));
    }

    /// <summary>
    /// GEOHASH key member ...: each member's position as an 11-character standard geohash (latitude ±90), the last
    /// character always '0' since only 52 bits are stored; null for a missing member.
    /// </summary>
    public static Reply Hash(KeyTable keys, byte[][] args, long now) => PerMember(keys, args, now, Reply.Null, static score =>
    {
        var (longitude, latitude) = GeoHash.DecodeScore(score);
        GeoHash.TryEncode(longitude, latitude, GeoHash.MaxStep, out var cell, -180, 180, -90, 90);
        var text = new byte[11];
        for (var c = 0; c < 10; c++)
        {
            text[c] = (byte)Base32[(int)((cell.Bits >> (52 - ((c + 1) * 5))) & 0x1f)];
        }

        text[10] = (byte)'0';
        return Reply.Bulk(text);
    });

    /// <summary>GEOPOS key member ...: [longitude, latitude] per member, a null array for a missing one.</summary>
    public static Reply Pos(KeyTable keys, byte[][] args, long now) => PerMember(keys, args, now, Reply.NullArray, static score =>
    {
        var (longitude, latitude) = GeoHash.DecodeScore(score);
        return Coordinates(longitude, latitude);
    });

    /// <summary>A [longitude, latitude] pair as Redis writes coordinates (doubles under RESP3, in their human form).</summary>
    public static Reply Coordinates(double longitude, double latitude) =>
        Reply.Array(new DoubleReply(longitude, GeoText.Coordinate(longitude)), new DoubleReply(latitude, GeoText.Coordinate(latitude)));

    /// <summary>One reply per member named after the key: <paramref name="describe"/> of its score, or <paramref name="missing"/>.</summary>
    private static Reply PerMember(KeyTable keys, byte[][] args, long now, Reply missing, Func<double, Reply> describe)
    {
        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        var replies = new Reply[args.Length - 1];
        for (var i = 1; i < args.Length; i++)
        {
            replies[i - 1] = zset is not null && zset.TryGetScore(args[i], out var score) ? describe(score) : missing;
        }

        return Reply.Array(replies);
    }

    private static bool TryParseAdd(byte[][] args, out int firstTriple, out ulong[] scores, out Reply? error)
    {
        scores = [];
        error = null;
        bool nx = false, xx = false;
        firstTriple = 1;
        for (; firstTriple < args.Length; firstTriple++)
        {
            var option = args[firstTriple];
            if (Keyword.Is(option, "NX"u8)) { nx = true; }
            else if (Keyword.Is(option, "XX"u8)) { xx = true; }
            else if (!Keyword.Is(option, "CH"u8)) { break; }
        }

        var remaining = args.Length - firstTriple;
        if (remaining % 3 != 0 || remaining == 0 || (nx && xx))
        {
            error = Reply.Error(ErrorTexts.Syntax);
            return false;
        }

        scores = new ulong[remaining / 3];
        for (var i = 0; i < scores.Length; i++)
        {
            var at = firstTriple + (3 * i);
            if (!GeoArguments.TryParseLongLat(args[at], args[at + 1], out var longitude, out var latitude, out error))
            {
                return false;
            }

            scores[i] = GeoHash.Score(longitude, latitude);
        }

        return true;
    }
}
