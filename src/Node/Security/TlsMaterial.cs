using System.Security.Cryptography.X509Certificates;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.Security;

/// <summary>
/// The node's certificate (with its private key) and the cluster CA, loaded from the files <see cref="TlsOptions"/>
/// names. Immutable: a reload builds a new one.
/// </summary>
internal sealed class TlsMaterial
{
    private readonly X509Certificate2Collection _roots;
    private readonly X509Certificate2Collection _intermediates;

    private TlsMaterial(X509Certificate2 certificate, X509Certificate2Collection roots, X509Certificate2Collection intermediates)
    {
        Certificate = certificate;
        _roots = roots;
        _intermediates = intermediates;
    }

    /// <summary>This node's certificate, presented by its listeners and to the nodes it connects to.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Loads the files; throws <see cref="InvalidOperationException"/> naming the file that failed.</summary>
    public static TlsMaterial Load(TlsOptions options)
    {
        var certificate = LoadCertificate(options);
        if (string.IsNullOrWhiteSpace(options.CaPath))
            throw new InvalidOperationException("RaftKV:Tls:CaPath is required when TLS is enabled: peers are verified against the cluster CA");
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(options.CaPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"RaftKV:Tls:CaPath {options.CaPath} could not be read: {e.Message}", e);
        }

        if (authorities.Count == 0)
            throw new InvalidOperationException($"RaftKV:Tls:CaPath {options.CaPath} holds no PEM certificate");

        // Self-signed certificates of the bundle are the trust anchors; any others are intermediates a chain may use.
        var roots = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        foreach (var authority in authorities)
            (authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData) ? roots : intermediates).Add(authority);
        if (roots.Count == 0)
            throw new InvalidOperationException($"RaftKV:Tls:CaPath {options.CaPath} holds no self-signed (root) CA certificate");
        return new TlsMaterial(certificate, roots, intermediates);
    }

    private static X509Certificate2 LoadCertificate(TlsOptions options)
    {
        var path = options.CertificatePath;
        if (string.IsNullOrWhiteSpace(path))
            throw new InvalidOperationException("RaftKV:Tls:CertificatePath is required when TLS is enabled");
        var password = string.IsNullOrEmpty(options.Password) ? null : options.Password;
        var key = string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath;
        try
        {
            var certificate = key is null && X509Certificate2.GetCertContentType(path) == X509ContentType.Pkcs12
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
                : password is null
                    ? X509Certificate2.CreateFromPemFile(path, key)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, key);
            if (!certificate.HasPrivateKey)
                throw new InvalidOperationException($"RaftKV:Tls:CertificatePath {path} has no private key (set RaftKV:Tls:KeyPath)");
            return certificate;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"The TLS certificate {path}{(key is null ? "" : " with key " + key)} could not be loaded: {e.Message}", e);
        }
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to one of the cluster's root CAs (revocation not checked, no
    /// host name compared: membership is the CA's signature).
    /// </summary>
    public bool IsSignedByCluster(X509Certificate2? certificate)
    {
        if (certificate is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        return chain.Build(certificate);
    }
}
