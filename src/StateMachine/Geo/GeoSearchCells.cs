namespace RaftKV.StateMachine.Geo;

/// <summary>
/// The geohash cells a search scans (geohash_helper.c semantics): the cell holding the centre, at a precision coarse
/// enough that it and its eight neighbors cover the shape, with the neighbors that lie wholly outside the shape's
/// bounding box left out. The order is Redis's scan order: centre, N, S, E, W, NE, NW, SE, SW.
/// </summary>
internal static class GeoSearchCells
{
    private const double MercatorMax = 20037726.37;

    public static GeoCell[] For(GeoShape shape)
    {
        var bounds = shape.BoundingBox();
        var step = EstimateStep(shape.ReachMeters(), shape.Latitude);
        var centre = Encode(shape, step);
        var neighbors = Neighbors(centre);

        // Near a cell's edge the estimated precision can leave part of the shape outside the nine cells: one step
        // coarser then.
        var north = GeoHash.Decode(neighbors[0]);
        var south = GeoHash.Decode(neighbors[1]);
        var east = GeoHash.Decode(neighbors[2]);
        var west = GeoHash.Decode(neighbors[3]);
        if (step > 1 && (north.MaxLatitude < bounds.MaxLatitude || south.MinLatitude > bounds.MinLatitude
            || east.MaxLongitude < bounds.MaxLongitude || west.MinLongitude > bounds.MinLongitude))
        {
            step--;
            centre = Encode(shape, step);
            neighbors = Neighbors(centre);
        }

        var area = GeoHash.Decode(centre);
        if (step >= 2)
        {
            // Indexes into neighbors: 0 N, 1 S, 2 E, 3 W, 4 NE, 5 NW, 6 SE, 7 SW.
            if (area.MinLatitude < bounds.MinLatitude)
            {
                Clear(neighbors, 1, 7, 6);
            }

            if (area.MaxLatitude > bounds.MaxLatitude)
            {
                Clear(neighbors, 0, 4, 5);
            }

            if (area.MinLongitude < bounds.MinLongitude)
            {
                Clear(neighbors, 3, 7, 5);
            }

            if (area.MaxLongitude > bounds.MaxLongitude)
            {
                Clear(neighbors, 2, 6, 4);
            }
        }

        return [centre, .. neighbors];
    }

    /// <summary>
    /// The precision (bits per coordinate) whose cells are about as wide as the search reach: halve the world until it
    /// fits, two steps coarser for safety, coarser still near the poles where cells narrow; within 1..26.
    /// </summary>
    public static int EstimateStep(double reachMeters, double latitude)
    {
        if (reachMeters == 0)
        {
            return GeoHash.MaxStep;
        }

        var step = 1;
        while (reachMeters < MercatorMax)
        {
            reachMeters *= 2;
            step++;
        }

        step -= 2;
        if (latitude > 66 || latitude < -66)
        {
            step--;
            if (latitude > 80 || latitude < -80)
            {
                step--;
            }
        }

        return Math.Clamp(step, 1, GeoHash.MaxStep);
    }

    private static GeoCell Encode(GeoShape shape, int step) =>
        GeoHash.TryEncode(shape.Longitude, shape.Latitude, step, out var cell) ? cell : new GeoCell(0, step);

    private static GeoCell[] Neighbors(GeoCell cell) =>
    [
        GeoHash.Move(cell, 0, 1),
        GeoHash.Move(cell, 0, -1),
        GeoHash.Move(cell, 1, 0),
        GeoHash.Move(cell, -1, 0),
        GeoHash.Move(cell, 1, 1),
        GeoHash.Move(cell, -1, 1),
        GeoHash.Move(cell, 1, -1),
        GeoHash.Move(cell, -1, -1),
    ];

    private static void Clear(GeoCell[] neighbors, params int[] indexes)
    {
        foreach (var index in indexes)
        {
            neighbors[index] = GeoCell.None;
        }
    }
}
