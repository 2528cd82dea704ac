namespace RaftKV.StateMachine.Geo;

/// <summary>
/// Great-circle distances on Redis's sphere (geohash_helper.c semantics): the haversine formula with the WGS-84
/// quadratic mean radius, in meters, with the operations in Redis's order so results are bit-identical.
/// </summary>
internal static class GeoDistance
{
    public const double EarthRadiusMeters = 6372797.560856;

    private const double DegreesToRadians = Math.PI / 180.0;

    public static double ToRadians(double degrees) => degrees * DegreesToRadians;

    public static double ToDegrees(double radians) => radians / DegreesToRadians;

    /// <summary>The distance along a meridian between two latitudes.</summary>
    public static double AlongMeridian(double latitude1, double latitude2) =>
        EarthRadiusMeters * Math.Abs(ToRadians(latitude2) - ToRadians(latitude1));

    /// <summary>The haversine distance between two points; the meridian distance when the longitudes coincide.</summary>
    public static double Between(double longitude1, double latitude1, double longitude2, double latitude2)
    {
        var v = Math.Sin((ToRadians(longitude2) - ToRadians(longitude1)) / 2);
        if (v == 0.0)
        {
            return AlongMeridian(latitude1, latitude2);
        }

        var latitude1Radians = ToRadians(latitude1);
        var latitude2Radians = ToRadians(latitude2);
        var u = Math.Sin((latitude2Radians - latitude1Radians) / 2);
        var a = (u * u) + (Math.Cos(latitude1Radians) * Math.Cos(latitude2Radians) * v * v);
        return 2.0 * EarthRadiusMeters * Math.Asin(Math.Sqrt(a));
    }
}
