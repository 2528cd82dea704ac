using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Geo;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms with Redis 7.0 semantics (georadiusGeneric):
/// the same checks in the same order, the same cells scanned in the same order, so unsorted results come back in
/// Redis's order too. Sorting by distance is stable: equal distances keep their scan order.
/// </summary>
internal static class GeoSearchCommand
{
    public static Reply Execute(KeyTable keys, byte[][] args, long now, GeoSearchKind kind, string name)
    {
        var store = kind == GeoSearchKind.SearchStore;
        var sourceKey = args[store ? 1 : 0];
        if (!TypedEntry.TryAs(keys.FindLive(sourceKey, now), out SortedSetValue? zset))
        {
            return TypedEntry.WrongType;
        }

        var request = new GeoSearchRequest { StoreKey = store ? args[0] : null };
        if (!GeoSearchRequest.TryParse(args, kind, zset, name, request, out var error))
        {
            return error!;
        }

        if (zset is null)
        {
            if (request.StoreKey is not null)
            {
                keys.FindForWrite(request.StoreKey, now);
                if (keys.Remove(request.StoreKey))
                {
                    keys.Notify(KeyspaceEvents.Generic, "del", request.StoreKey);
                }

                return Reply.Zero;
            }

            return Reply.EmptyArray;
        }

        var shape = request.Shape;
        var found = Collect(zset, shape, request.Any ? request.Count : 0);
        if (found.Count == 0 && request.StoreKey is null)
        {
            return Reply.EmptyArray;
        }

        if (request.Sort != 0)
        {
            var ordered = request.Sort > 0
                ? found.OrderBy(static point => point.Distance)
                : found.OrderByDescending(static point => point.Distance);
            found = ordered.ToList();
        }

        var returned = request.Count == 0 || found.Count < request.Count ? found.Count : (int)request.Count;
        if (request.StoreKey is not null)
        {
            var result = new List<ScoredMember>(returned);
            for (var i = 0; i < returned; i++)
            {
                var point = found[i];
                result.Add(new ScoredMember(point.Member, request.StoreDistance ? point.Distance / shape.Conversion : point.Score));
            }

            return SortedSetRangeCommands.Store(keys, request.StoreKey, result, now, kind is GeoSearchKind.Search or GeoSearchKind.SearchStore ? "geosearchstore" : "georadiusstore");
        }

        var replies = new Reply[returned];
        for (var i = 0; i < returned; i++)
        {
            replies[i] = Describe(found[i], request, shape.Conversion);
        }

        return Reply.Array(replies);
    }

    /// <summary>
    /// The members inside <paramref name="shape"/>, cell by cell in scan order and by score within a cell; stops once
    /// <paramref name="limit"/> are found (0: no limit). A cell equal to the one scanned just before it is skipped
    /// (huge radii make neighbors coincide), except after the centre cell, as in Redis.
    /// </summary>
    private static List<GeoPoint> Collect(SortedSetValue zset, GeoShape shape, long limit)
    {
        var found = new List<GeoPoint>();
        var cells = GeoSearchCells.For(shape);
        var lastScanned = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i].IsNone || (lastScanned != 0 && cells[i] == cells[lastScanned]))
            {
                continue;
            }

            if (limit != 0 && found.Count >= limit)
            {
                break;
            }

            CollectCell(zset, cells[i], shape, found, limit);
            lastScanned = i;
        }

        return found;
    }

    private static void CollectCell(SortedSetValue zset, GeoCell cell, GeoShape shape, List<GeoPoint> found, long limit)
    {
        var first = zset.CountBelowScore(cell.FirstScore, inclusive: false);
        var end = zset.CountBelowScore(cell.EndScore, inclusive: false);
        foreach (var element in zset.Range(first, end - 1, reverse: false))
        {
            var (longitude, latitude) = GeoHash.DecodeScore(element.Score);
            if (shape.DistanceTo(longitude, latitude) is { } distance)
            {
                found.Add(new GeoPoint(element.Member, element.Score, longitude, latitude, distance));
            }

            if (limit != 0 && found.Count >= limit)
            {
                break;
            }
        }
    }

    private static Reply Describe(GeoPoint point, GeoSearchRequest request, double conversion)
    {
        if (!request.WithDistance && !request.WithHash && !request.WithCoordinates)
        {
            return Reply.Bulk(point.Member);
        }

        var parts = new List<Reply>(4) { Reply.Bulk(point.Member) };
        if (request.WithDistance)
        {
            parts.Add(Reply.Bulk(GeoText.Distance(point.Distance / conversion)));
        }

        // Scores found in a cell's range are 52-bit integers: the conversion is exact.
        if (request.WithHash)
        {
            parts.Add(Reply.Integer((long)point.Score));
        }

        if (request.WithCoordinates)
        {
            parts.Add(GeoCommands.Coordinates(point.Longitude, point.Latitude));
        }

        return Reply.Array([.. parts]);
    }

    private sealed record GeoPoint(byte[] Member, double Score, double Longitude, double Latitude, double Distance);
}
