namespace RaftKV.StateMachine.Geo;

/// <summary>
/// Redis's geohash arithmetic (geohash.c semantics): coordinates become 26-bit fixed-point offsets within the
/// longitude and latitude ranges, interleaved into the 52-bit integer a sorted set stores as the member's score. The
/// latitude range is Web Mercator's (±85.05112878), not ±90, except where a caller passes the standard one (GEOHASH).
/// All arithmetic is in IEEE doubles in the same order as Redis, so scores and decoded coordinates are bit-identical.
/// </summary>
internal static class GeoHash
{
    public const int MaxStep = 26;
    public const double MinLatitude = -85.05112878;
    public const double MaxLatitude = 85.05112878;
    public const double MinLongitude = -180;
    public const double MaxLongitude = 180;

    /// <summary>
    /// The cell of <paramref name="step"/> bits per coordinate holding the point, within the given ranges; false for a
    /// point outside the Mercator limits or the ranges.
    /// </summary>
    public static bool TryEncode(
        double longitude, double latitude, int step, out GeoCell cell,
        double minLongitude = MinLongitude, double maxLongitude = MaxLongitude,
        double minLatitude = MinLatitude, double maxLatitude = MaxLatitude)
    {
        cell = GeoCell.None;
        if (step is < 1 or > 32
            || longitude > MaxLongitude || longitude < MinLongitude || latitude > MaxLatitude || latitude < MinLatitude
            || latitude < minLatitude || latitude > maxLatitude || longitude < minLongitude || longitude > maxLongitude)
        {
            return false;
        }

        var latitudeOffset = (latitude - minLatitude) / (maxLatitude - minLatitude);
        var longitudeOffset = (longitude - minLongitude) / (maxLongitude - minLongitude);
        latitudeOffset *= 1UL << step;
        longitudeOffset *= 1UL << step;

        // Offsets lie in [0, 2^step]: truncation toward zero, as C's double-to-unsigned conversion.
        cell = new GeoCell(Interleave((uint)latitudeOffset, (uint)longitudeOffset), step);
        return true;
    }

    /// <summary>The bounds of <paramref name="cell"/> in the Mercator ranges.</summary>
    public static GeoArea Decode(GeoCell cell)
    {
        // Indexes are 32-bit as in Redis, so "index + 1" wraps for the garbage bits of a score that is no geohash.
        var (latitudeIndex, longitudeIndex) = Deinterleave(cell.Bits);
        var cells = (double)(1UL << cell.Step);
        const double latitudeScale = MaxLatitude - MinLatitude;
        const double longitudeScale = MaxLongitude - MinLongitude;
        return new GeoArea(
            MinLongitude + (longitudeIndex * 1.0 / cells * longitudeScale),
            MinLongitude + ((longitudeIndex + 1) * 1.0 / cells * longitudeScale),
            MinLatitude + (latitudeIndex * 1.0 / cells * latitudeScale),
            MinLatitude + ((latitudeIndex + 1) * 1.0 / cells * latitudeScale));
    }

    /// <summary>The point a stored score stands for: the centre of its 26-step cell, clamped to the Mercator limits.</summary>
    public static (double Longitude, double Latitude) DecodeScore(double score)
    {
        var area = Decode(new GeoCell(ScoreBits(score), MaxStep));
        var longitude = Math.Clamp((area.MinLongitude + area.MaxLongitude) / 2, MinLongitude, MaxLongitude);
        var latitude = Math.Clamp((area.MinLatitude + area.MaxLatitude) / 2, MinLatitude, MaxLatitude);
        return (longitude, latitude);
    }

    /// <summary>
    /// The score Redis gives a point: its 26-step cell at full precision. The caller has checked the coordinates.
    /// </summary>
    public static ulong Score(double longitude, double latitude) =>
        TryEncode(longitude, latitude, MaxStep, out var cell) ? cell.FirstScore : 0;

    /// <summary>
    /// The cell bits of any sorted-set score as x86-64's double-to-uint64 conversion gives them (a score ZADD put
    /// there need not be a geohash): truncation when it fits, the "integer indefinite" pattern otherwise.
    /// </summary>
    public static ulong ScoreBits(double score)
    {
        const double TwoTo63 = 9223372036854775808.0;
        if (score < TwoTo63)
        {
            return score >= -TwoTo63 ? (ulong)(long)score : 0x8000000000000000UL;
        }

        var high = score - TwoTo63;
        return high < TwoTo63 ? (ulong)(long)high ^ 0x8000000000000000UL : 0;
    }

    /// <summary>The cell one step east (+1) or west (-1) and north (+1) or south (-1), wrapping around at the edges.</summary>
    public static GeoCell Move(GeoCell cell, int east, int north)
    {
        var (latitudeIndex, longitudeIndex) = Deinterleave(cell.Bits);
        var mask = (1UL << cell.Step) - 1;
        longitudeIndex = (uint)((ulong)((long)longitudeIndex + east) & mask);
        latitudeIndex = (uint)((ulong)((long)latitudeIndex + north) & mask);
        return new GeoCell(Interleave(latitudeIndex, longitudeIndex), cell.Step);
    }

    /// <summary>Spreads the bits of <paramref name="even"/> over the even positions and <paramref name="odd"/> over the odd.</summary>
    public static ulong Interleave(uint even, uint odd) => Spread(even) | (Spread(odd) << 1);

    public static (uint Even, uint Odd) Deinterleave(ulong bits) => (Gather(bits), Gather(bits >> 1));

    private static ulong Spread(uint value)
    {
        ulong x = value;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }

    private static uint Gather(ulong bits)
    {
        var x = bits & 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        return (uint)x;
    }
}
