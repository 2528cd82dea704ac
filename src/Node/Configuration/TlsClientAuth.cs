namespace RaftKV.Node.Configuration;

/// <summary>Whether RESP clients must present a certificate, as Redis's <c>tls-auth-clients</c>.</summary>
public enum TlsClientAuth
{
    /// <summary>No certificate is asked for.</summary>
    No,

    /// <summary>A certificate is asked for but may be left out; one that is sent must chain to the CA.</summary>
    Optional,

    /// <summary>A client without a certificate that chains to the CA is refused during the handshake.</summary>
    Yes,
}
