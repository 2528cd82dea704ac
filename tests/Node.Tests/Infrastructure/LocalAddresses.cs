using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace RaftKV.Node.Tests.Infrastructure;

internal static class LocalAddresses
{
    /// <summary>
    /// An IPv4 address of this machine that is not loopback (a client connecting from it is not a local client for
    /// protected mode), or null on a machine that has none.
    /// </summary>
    public static IPAddress? NonLoopbackIPv4() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(static i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(static i => i.GetIPProperties().UnicastAddresses)
        .Select(static a => a.Address)
        .FirstOrDefault(static a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
