namespace RaftKV.StateMachine.Geo;

/// <summary>The longitude and latitude bounds of a geohash cell, in degrees.</summary>
internal readonly record struct GeoArea(double MinLongitude, double MaxLongitude, double MinLatitude, double MaxLatitude);
