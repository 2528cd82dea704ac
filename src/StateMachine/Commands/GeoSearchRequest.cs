using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Geo;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>A geo search's options, parsed in Redis's order so the first error is the one Redis reports.</summary>
internal sealed class GeoSearchRequest
{
    public GeoShape Shape { get; } = new();

    public byte[]? StoreKey { get; set; }

    public bool StoreDistance { get; private set; }

    public bool WithDistance { get; private set; }

    public bool WithHash { get; private set; }

    public bool WithCoordinates { get; private set; }

    /// <summary>0 unsorted, 1 ascending, -1 descending distance.</summary>
    public int Sort { get; private set; }

    /// <summary>The most results to return; 0 for all.</summary>
    public long Count { get; private set; }

    /// <summary>Stop scanning once <see cref="Count"/> members are found, instead of returning the nearest.</summary>
    public bool Any { get; private set; }

    /// <summary>
    /// Parses the arguments after the name. <paramref name="zset"/> is the source (null when missing): a member centre
    /// is looked up while parsing, as Redis does, and not at all when the key is missing. <paramref name="name"/> goes into
    /// the FROM/BY errors, where Redis echoes the command as the client spelled it; the log keeps no spelling, so the
    /// upper-case form that client libraries send stands in.
    /// </summary>
    public static bool TryParse(byte[][] args, GeoSearchKind kind, SortedSetValue? zset, string name, GeoSearchRequest request, out Reply? error)
    {
        error = null;
        var shape = request.Shape;
        int first;
        switch (kind)
        {
            case GeoSearchKind.Radius or GeoSearchKind.RadiusReadOnly:
                first = 5;
                if (!GeoArguments.TryParseLongLat(args[1], args[2], out var longitude, out var latitude, out error))
                {
                    return false;
                }

                (shape.Longitude, shape.Latitude) = (longitude, latitude);
                if (!GeoArguments.TryParseRadius(args[3], args[4], shape, out error))
                {
                    return false;
                }

                break;
            case GeoSearchKind.RadiusByMember or GeoSearchKind.RadiusByMemberReadOnly:
                first = 4;
                if (zset is null)
                {
                    // Redis parses the options anyway, to know whether to answer 0 (STORE) or an empty array.
                    break;
                }

                if (!TryCentreOnMember(zset, args[1], shape, out error) || !GeoArguments.TryParseRadius(args[2], args[3], shape, out error))
                {
                    return false;
                }

                break;
            default:
                first = kind == GeoSearchKind.SearchStore ? 2 : 1;
                break;
        }

        var search = kind is GeoSearchKind.Search or GeoSearchKind.SearchStore;
        var storeAllowed = kind is GeoSearchKind.Radius or GeoSearchKind.RadiusByMember;
        bool fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        var remaining = args.Length - first;
        for (var i = 0; i < remaining; i++)
        {
            var arg = args[first + i];
            var left = remaining - i - 1;
            if (Keyword.Is(arg, "WITHDIST"u8))
            {
                request.WithDistance = true;
            }
            else if (Keyword.Is(arg, "WITHHASH"u8))
            {
                request.WithHash = true;
            }
            else if (Keyword.Is(arg, "WITHCOORD"u8))
            {
                request.WithCoordinates = true;
            }
            else if (Keyword.Is(arg, "ANY"u8))
            {
                request.Any = true;
            }
            else if (Keyword.Is(arg, "ASC"u8))
            {
                request.Sort = 1;
            }
            else if (Keyword.Is(arg, "DESC"u8))
            {
                request.Sort = -1;
            }
            else if (Keyword.Is(arg, "COUNT"u8) && left >= 1)
            {
                if (!RedisIntegers.TryParse(args[first + i + 1], out var count))
                {
                    error = Reply.Error(ErrorTexts.NotInteger);
                    return false;
                }

                if (count <= 0)
                {
                    error = Reply.Error("ERR COUNT must be > 0");
                    return false;
                }

                request.Count = count;
                i++;
            }
            else if ((Keyword.Is(arg, "STORE"u8) || Keyword.Is(arg, "STOREDIST"u8)) && left >= 1 && storeAllowed)
            {
                request.StoreKey = args[first + i + 1];
                request.StoreDistance = arg.Length == "STOREDIST".Length;
                i++;
            }
            else if (Keyword.Is(arg, "STOREDIST"u8) && kind == GeoSearchKind.SearchStore)
            {
                request.StoreDistance = true;
            }
            else if (Keyword.Is(arg, "FROMMEMBER"u8) && left >= 1 && search && !fromLonLat)
            {
                if (zset is not null && !TryCentreOnMember(zset, args[first + i + 1], shape, out error))
                {
                    return false;
                }

                fromMember = true;
                i++;
            }
            else if (Keyword.Is(arg, "FROMLONLAT"u8) && left >= 2 && search && !fromMember)
            {
                if (!GeoArguments.TryParseLongLat(args[first + i + 1], args[first + i + 2], out var longitude, out var latitude, out error))
                {
                    return false;
                }

                (shape.Longitude, shape.Latitude) = (longitude, latitude);
                fromLonLat = true;
                i += 2;
            }
            else if (Keyword.Is(arg, "BYRADIUS"u8) && left >= 2 && search && !byBox)
            {
                if (!GeoArguments.TryParseRadius(args[first + i + 1], args[first + i + 2], shape, out error))
                {
                    return false;
                }

                byRadius = true;
                i += 2;
            }
            else if (Keyword.Is(arg, "BYBOX"u8) && left >= 3 && search && !byRadius)
            {
                if (!GeoArguments.TryParseBox(args[first + i + 1], args[first + i + 2], args[first + i + 3], shape, out error))
                {
                    return false;
                }

                byBox = true;
                i += 3;
            }
            else
            {
                error = Reply.Error(ErrorTexts.Syntax);
                return false;
            }
        }

        return TryCheckCombination(request, kind, name, fromMember || fromLonLat, byRadius || byBox, out error);
    }

    private static bool TryCheckCombination(GeoSearchRequest request, GeoSearchKind kind, string name, bool hasCentre, bool hasShape, out Reply? error)
    {
        error = null;
        var search = kind is GeoSearchKind.Search or GeoSearchKind.SearchStore;
        if (request.StoreKey is not null && (request.WithDistance || request.WithHash || request.WithCoordinates))
        {
            var what = kind == GeoSearchKind.SearchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
            error = Reply.Error($"ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
        }
        else if (search && !hasCentre)
        {
            error = Reply.Error($"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}");
        }
        else if (search && !hasShape)
        {
            error = Reply.Error($"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}");
        }
        else if (request.Any && request.Count == 0)
        {
            error = Reply.Error("ERR the ANY argument requires COUNT argument");
        }
        else if (request.Count != 0 && request.Sort == 0 && !request.Any)
        {
            // COUNT means the nearest N unless ANY asks for any N.
            request.Sort = 1;
        }

        return error is null;
    }

    private static bool TryCentreOnMember(SortedSetValue zset, byte[] member, GeoShape shape, out Reply? error)
    {
        error = null;
        if (!zset.TryGetScore(member, out var score))
        {
            error = Reply.Error("ERR could not decode requested zset member");
            return false;
        }

        (shape.Longitude, shape.Latitude) = GeoHash.DecodeScore(score);
        return true;
    }
}
