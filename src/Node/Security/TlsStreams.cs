using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace RaftKV.Node.Security;

/// <summary>The stream a node-to-node connection talks over: the socket itself, or TLS on it.</summary>
internal static class TlsStreams
{
    /// <summary>
    /// Wraps the connected <paramref name="socket"/> (owned from here on) and, when <paramref name="tls"/> is set,
    /// completes the client handshake. A refused handshake disposes the socket and throws <see cref="IOException"/>,
    /// so callers treat it as they treat a refused connection.
    /// </summary>
    public static async Task<Stream> OpenAsync(Socket socket, SslClientAuthenticationOptions? tls, CancellationToken token)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        if (tls is null)
            return network;
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(tls, token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (e is AuthenticationException)
                throw new IOException("TLS handshake refused: " + e.Message, e);
            throw;
        }
    }
}
