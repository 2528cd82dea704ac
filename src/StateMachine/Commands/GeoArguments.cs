using System.Globalization;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.StateMachine.Geo;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Commands;

/// <summary>The argument forms the geo commands share: a longitude/latitude pair, a distance unit, a radius, a box.</summary>
internal static class GeoArguments
{
    public const string UnsupportedUnit = "ERR unsupported unit provided. please use M, KM, FT, MI";

    /// <summary>Two floats within the Mercator limits (longitude ±180, latitude ±85.05112878), as geo.c checks them.</summary>
    public static bool TryParseLongLat(byte[] longitudeText, byte[] latitudeText, out double longitude, out double latitude, out Reply? error)
    {
        latitude = 0;
        error = null;
        if (!RedisNumber.TryParseDouble(longitudeText, out longitude) || !RedisNumber.TryParseDouble(latitudeText, out latitude))
        {
            error = Reply.Error(ErrorTexts.NotFloat);
            return false;
        }

        if (longitude < GeoHash.MinLongitude || longitude > GeoHash.MaxLongitude
            || latitude < GeoHash.MinLatitude || latitude > GeoHash.MaxLatitude)
        {
            error = Reply.Error(string.Create(
                CultureInfo.InvariantCulture,
                $"ERR invalid longitude,latitude pair {GeoText.PrintfF(longitude)},{GeoText.PrintfF(latitude)}"));
            return false;
        }

        return true;
    }

    /// <summary>The size of a unit in meters: M, KM, FT or MI (any case).</summary>
    public static bool TryParseUnit(byte[] text, out double meters, out Reply? error)
    {
        error = null;
        meters = Keyword.Is(text, "M"u8) ? 1
            : Keyword.Is(text, "KM"u8) ? 1000
            : Keyword.Is(text, "FT"u8) ? 0.3048
            : Keyword.Is(text, "MI"u8) ? 1609.34
            : -1;
        if (meters < 0)
        {
            error = Reply.Error(UnsupportedUnit);
            return false;
        }

        return true;
    }

    /// <summary>A radius and its unit: a float (else "need numeric radius"), not negative.</summary>
    public static bool TryParseRadius(byte[] radiusText, byte[] unitText, GeoShape shape, out Reply? error)
    {
        if (!RedisNumber.TryParseDouble(radiusText, out var radius))
        {
            error = Reply.Error("ERR need numeric radius");
            return false;
        }

        if (radius < 0)
        {
            error = Reply.Error("ERR radius cannot be negative");
            return false;
        }

        if (!TryParseUnit(unitText, out var conversion, out error))
        {
            return false;
        }

        shape.IsBox = false;
        shape.Radius = radius;
        shape.Conversion = conversion;
        return true;
    }

    /// <summary>A box's width, height and unit: floats (else "need numeric width/height"), neither negative.</summary>
    public static bool TryParseBox(byte[] widthText, byte[] heightText, byte[] unitText, GeoShape shape, out Reply? error)
    {
        if (!RedisNumber.TryParseDouble(widthText, out var width))
        {
            error = Reply.Error("ERR need numeric width");
            return false;
        }

        if (!RedisNumber.TryParseDouble(heightText, out var height))
        {
            error = Reply.Error("ERR need numeric height");
            return false;
        }

        if (height < 0 || width < 0)
        {
            error = Reply.Error("ERR height or width cannot be negative");
            return false;
        }

        if (!TryParseUnit(unitText, out var conversion, out error))
        {
            return false;
        }

        shape.IsBox = true;
        shape.Width = width;
        shape.Height = height;
        shape.Conversion = conversion;
        return true;
    }
}
