namespace RaftKV.StateMachine.Geo;

/// <summary>
/// A search area: a circle of <see cref="Radius"/> or an axis-aligned box of <see cref="Width"/> by
/// <see cref="Height"/> around a centre, in the unit whose size in meters is <see cref="Conversion"/>.
/// </summary>
internal sealed class GeoShape
{
    public double Longitude { get; set; }

    public double Latitude { get; set; }

    public bool IsBox { get; set; }

    public double Radius { get; set; }

    public double Width { get; set; }

    public double Height { get; set; }

    public double Conversion { get; set; }

    /// <summary>
    /// The distance in meters from the centre to the point when the point lies inside the shape (a box is checked by
    /// its latitude span first, then by the east-west distance along the point's parallel), else null.
    /// </summary>
    public double? DistanceTo(double longitude, double latitude)
    {
        if (!IsBox)
        {
            var distance = GeoDistance.Between(Longitude, Latitude, longitude, latitude);
            return distance > Radius * Conversion ? null : distance;
        }

        var widthMeters = Width * Conversion;
        var heightMeters = Height * Conversion;
        if (GeoDistance.AlongMeridian(latitude, Latitude) > heightMeters / 2)
        {
            return null;
        }

        if (GeoDistance.Between(longitude, latitude, Longitude, latitude) > widthMeters / 2)
        {
            return null;
        }

        return GeoDistance.Between(Longitude, Latitude, longitude, latitude);
    }

    /// <summary>
    /// The longitude and latitude bounds that enclose the shape: its half-height in latitude, and its half-width at
    /// the parallel nearer the pole (wider in degrees), taken on the side away from the equator.
    /// </summary>
    public GeoArea BoundingBox()
    {
        var height = Conversion * (IsBox ? Height / 2 : Radius);
        var width = Conversion * (IsBox ? Width / 2 : Radius);
        var latitudeDelta = GeoDistance.ToDegrees(height / GeoDistance.EarthRadiusMeters);
        var longitudeDeltaTop = GeoDistance.ToDegrees(width / GeoDistance.EarthRadiusMeters / Math.Cos(GeoDistance.ToRadians(Latitude + latitudeDelta)));
        var longitudeDeltaBottom = GeoDistance.ToDegrees(width / GeoDistance.EarthRadiusMeters / Math.Cos(GeoDistance.ToRadians(Latitude - latitudeDelta)));
        var longitudeDelta = Latitude < 0 ? longitudeDeltaBottom : longitudeDeltaTop;
        return new GeoArea(Longitude - longitudeDelta, Longitude + longitudeDelta, Latitude - latitudeDelta, Latitude + latitudeDelta);
    }

    /// <summary>The distance in meters from the centre to the farthest point of the shape's outline (a box's corner).</summary>
    public double ReachMeters()
    {
        var reach = IsBox ? Math.Sqrt((Width / 2 * (Width / 2)) + (Height / 2 * (Height / 2))) : Radius;
        return reach * Conversion;
    }
}
