using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RaftKV.Tests.Shared;

/// <summary>
/// A throwaway cluster CA with a member certificate, and an outsider CA with a certificate of its own, made with
/// <see cref="CertificateRequest"/> into a temp directory at test time (no private key is committed). Leaf
/// certificates name 127.0.0.1 and localhost and allow server and client authentication, as a node's must.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Ca = CreateAuthority("CN=RaftKV Test Cluster CA", caKey);
        Member = CreateLeaf("CN=raftkv-member", Ca, caKey);
        using var outsiderCaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        OutsiderCa = CreateAuthority("CN=Some Other CA", outsiderCaKey);
        Outsider = CreateLeaf("CN=raftkv-outsider", OutsiderCa, outsiderCaKey);

        File.WriteAllText(CaPath, Ca.ExportCertificatePem() + "\n");
        Write(Member, MemberCertificatePath, MemberKeyPath);
        Write(Outsider, OutsiderCertificatePath, OutsiderKeyPath);
        File.WriteAllBytes(MemberPkcs12Path, Member.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Pkcs12Password));
    }

    public const string Pkcs12Password = "test-password";

    public string Directory { get; }

    /// <summary>The cluster CA (public part only is written, to <see cref="CaPath"/>).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>A member certificate with its key, signed by <see cref="Ca"/>.</summary>
    public X509Certificate2 Member { get; }

    public X509Certificate2 OutsiderCa { get; }

    /// <summary>A certificate with its key from another CA: well-formed, but not the cluster's.</summary>
    public X509Certificate2 Outsider { get; }

    public string CaPath => Path.Combine(Directory, "ca.pem");

    public string MemberCertificatePath => Path.Combine(Directory, "member.pem");

    public string MemberKeyPath => Path.Combine(Directory, "member.key");

    public string MemberPkcs12Path => Path.Combine(Directory, "member.p12");

    public string OutsiderCertificatePath => Path.Combine(Directory, "outsider.pem");

    public string OutsiderKeyPath => Path.Combine(Directory, "outsider.key");

    public static TestCertificates Create() =>
        new(Path.Combine(Path.GetTempPath(), "raftkv-tls", Guid.NewGuid().ToString("N")));

    /// <summary>Node settings: the member certificate (PEM) and the CA, with the listed switches on.</summary>
    public Dictionary<string, string> NodeSettings(bool resp = true, bool grpc = true, bool raft = true, bool snapshots = true) => new()
    {
        ["RaftKV:Tls:CertificatePath"] = MemberCertificatePath,
        ["RaftKV:Tls:KeyPath"] = MemberKeyPath,
        ["RaftKV:Tls:CaPath"] = CaPath,
        ["RaftKV:Tls:Resp"] = resp ? "true" : "false",
        ["RaftKV:Tls:Grpc"] = grpc ? "true" : "false",
        ["RaftKV:Tls:Raft"] = raft ? "true" : "false",
        ["RaftKV:Tls:Snapshots"] = snapshots ? "true" : "false",
    };

    /// <summary>
    /// Server validation as a client that trusts only <see cref="Ca"/> does it: the chain must end at it and the name
    /// must match.
    /// </summary>
    public bool IsTrustedServer(X509Certificate? certificate, System.Net.Security.SslPolicyErrors errors)
    {
        if (certificate is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    private static X509Certificate2 CreateAuthority(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    private static X509Certificate2 CreateLeaf(string subject, X509Certificate2 issuer, ECDsa issuerKey)
    {
        // Not disposed: the returned certificate holds it as its private key.
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var generator = X509SignatureGenerator.CreateForECDsa(issuerKey);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = request.Create(issuer.SubjectName, generator, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), serial);
        return certificate.CopyWithPrivateKey(key);
    }

    private static void Write(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public void Dispose()
    {
        Ca.Dispose();
        Member.Dispose();
        OutsiderCa.Dispose();
        Outsider.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}
