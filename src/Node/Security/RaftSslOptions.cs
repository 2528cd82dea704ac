using System.Net;
using System.Net.Security;

namespace RaftKV.Node.Security;

/// <summary>
/// Mutual TLS for DotNext's Raft TCP transport: the server side requires a member certificate, and each outgoing
/// connection presents this node's and accepts only a peer whose certificate chains to the cluster CA.
/// </summary>
internal sealed class RaftSslOptions : DotNext.Net.Security.SslOptions
{
    private readonly NodeTls _tls;

    public RaftSslOptions(NodeTls tls)
        : base()
    {
        _tls = tls;
        ServerOptions = tls.MemberServerOptions();
        ClientOptions = tls.ClientOptions(null);
    }

    /// <summary>Options for a connection to <paramref name="serverAddress"/>: the member checks, named for that peer.</summary>
    public override SslClientAuthenticationOptions CreateClientOptions(EndPoint serverAddress) => _tls.ClientOptions(serverAddress switch
    {
        IPEndPoint ip => ip.Address.ToString(),
        DnsEndPoint dns => dns.Host,
        _ => null,
    });
}
