using System.Net.Sockets;
using System.Text;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>Byte-level access to a node's RESP port, for tests that must control exactly what is sent.</summary>
internal static class RawResp
{
    /// <summary>How long a test that expects a node to answer waits for it (first relays open connections, JIT).</summary>
    public static readonly TimeSpan Answer = TimeSpan.FromSeconds(30);

    /// <summary>Sends an inline command and returns the first reply's payload as text, or null when the node is down.</summary>
    /// <param name="tls">For a TLS RESP port: the certificates whose CA the client trusts (and whose member certificate
    /// it presents); null for plaintext.</param>
    /// <param name="timeout">How long to wait for the answer: 2 s unless given (a probe of a node that may be down or
    /// paused); a test that expects an answer passes <see cref="Answer"/>, which a loaded machine keeps.</param>
    public static async Task<string?> TryCommandAsync(int port, string inline, TestCertificates? tls = null, TimeSpan? timeout = null)
    {
        try
        {
            var bytes = await ExchangeAsync(port, Encoding.ASCII.GetBytes(inline + "\r\nQUIT\r\n"), timeout ?? TimeSpan.FromSeconds(2), tls);
            return Encoding.UTF8.GetString(bytes);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sends one command (as a RESP array, so arguments may hold spaces) and returns the raw reply text, or null when the
    /// node is down or does not answer within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string?> TryCommandAsync(int port, TimeSpan timeout, params string[] args)
    {
        var request = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
            request.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        request.Append("*1\r\n$4\r\nQUIT\r\n");
        try
        {
            return Encoding.UTF8.GetString(await ExchangeAsync(port, Encoding.UTF8.GetBytes(request.ToString()), timeout));
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sends bytes and reads until the server closes the connection or the timeout passes.</summary>
    public static async Task<byte[]> ExchangeAsync(int port, byte[] request, TimeSpan timeout, TestCertificates? tls = null)
    {
        using var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(timeout);
        await tcp.ConnectAsync("127.0.0.1", port, cts.Token);
        Stream stream = tcp.GetStream();
        if (tls is not null)
        {
            var ssl = new System.Net.Security.SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => tls.IsTrustedServer(certificate, errors),

                // A member's certificate, for nodes that require client certificates (RespClientAuth=Yes).
                LocalCertificateSelectionCallback = (_, _, _, _, _) => tls.Member,
            }, cts.Token);
            stream = ssl;
        }

        await stream.WriteAsync(request, cts.Token);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
                received.Write(buffer, 0, n);
        }
        catch (OperationCanceledException) when (received.Length > 0)
        {
            // Timed out while the connection stayed open: return what arrived.
        }

        await stream.DisposeAsync();
        return received.ToArray();
    }
}
