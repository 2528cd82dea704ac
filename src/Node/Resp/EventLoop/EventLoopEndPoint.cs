using System.Net;
using System.Net.Sockets;

namespace RaftKV.Node.Resp.EventLoop;

/// <summary>
/// An address Kestrel binds through <see cref="EventLoopTransportFactory"/> (the RESP port) rather than through its socket
/// transport, which binds every <see cref="IPEndPoint"/> (gRPC, snapshots, metrics stay there).
/// </summary>
internal sealed class EventLoopEndPoint(IPEndPoint address) : EndPoint
{
    public IPEndPoint Address { get; } = address;

    public override AddressFamily AddressFamily => Address.AddressFamily;

    public override string ToString() => Address.ToString();
}
