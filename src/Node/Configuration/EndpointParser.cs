using System.Globalization;
using System.Net;

namespace RaftKV.Node.Configuration;

/// <summary>Parses "host:port" settings. Raft endpoints must be IP addresses (DotNext compares them by value).</summary>
public static class EndpointParser
{
    public static IPEndPoint ParseIp(string value)
    {
        if (IPEndPoint.TryParse(value, out var ip) && ip.Port != 0)
            return ip;
        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(value.AsSpan("localhost:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            return new IPEndPoint(IPAddress.Loopback, port);
        throw new FormatException($"'{value}' is not an IP endpoint of the form address:port");
    }

    public static (string Host, int Port) Split(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            throw new FormatException($"'{value}' is not an endpoint of the form host:port");
        return (value[..colon].Trim('[', ']'), port);
    }
}
