namespace RaftKV.Node.Configuration;

/// <summary>
/// TLS for the node's listeners and the connections it opens to other nodes, bound from "RaftKV:Tls". Every switch is
/// off by default: plaintext for loopback development. One certificate (with its private key) serves every listener
/// and is presented to other nodes as this node's member certificate; <see cref="CaPath"/> holds the cluster's CA, and
/// a peer (another node, a snapshot downloader, a RESP client certificate) is accepted only when its certificate
/// chains to it. Peers are identified by that chain alone, not by host name: nodes reach each other by IP address.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>
    /// The node's certificate: a PEM file (leaf first, then any intermediates; the key may follow in the same file)
    /// or a PKCS#12 file (.pfx/.p12) holding the key.
    /// </summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>The PEM private key of <see cref="CertificatePath"/>; empty when the key is in that file.</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key; empty for none.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>PEM bundle of the CA certificates that sign the cluster's members (and RESP client certificates).</summary>
    public string CaPath { get; set; } = string.Empty;

    /// <summary>The RESP port speaks TLS only; followers forward to the leader's RESP port over TLS.</summary>
    public bool Resp { get; set; }

    /// <summary>Whether RESP clients must present a certificate signed by the CA (Redis's tls-auth-clients).</summary>
    public TlsClientAuth RespClientAuth { get; set; } = TlsClientAuth.Optional;

    /// <summary>The gRPC port speaks HTTP/2 over TLS (ALPN h2); clients are not asked for a certificate.</summary>
    public bool Grpc { get; set; }

    /// <summary>Mutual TLS on the Raft transport: both sides present member certificates that chain to the CA.</summary>
    public bool Raft { get; set; }

    /// <summary>The snapshot-download endpoint is HTTPS and requires a member certificate; downloads present one.</summary>
    public bool Snapshots { get; set; }

    /// <summary>
    /// Reload the certificate, key and CA when their files change (new handshakes use the new ones; open connections
    /// keep theirs). A file that fails to load is logged and the previous certificate stays in use.
    /// </summary>
    public bool WatchFiles { get; set; } = true;

    public bool AnyEnabled => Resp || Grpc || Raft || Snapshots;
}
