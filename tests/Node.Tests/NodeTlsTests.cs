using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Security;

namespace RaftKV.Node.Tests;

/// <summary>
/// Loading the node's certificate and CA from configuration, the member check every TLS endpoint uses, and the reload
/// when the files change. Certificates are made at test time.
/// </summary>
public sealed class NodeTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    [Fact]
    public void PemPairAndPkcs12_LoadTheSameCertificate_AndOnlyCertificatesOfTheClusterCaAreMembers()
    {
        using var pem = Create(new TlsOptions
        {
            CertificatePath = _certificates.MemberCertificatePath,
            KeyPath = _certificates.MemberKeyPath,
            CaPath = _certificates.CaPath,
            Raft = true,
        });
        Assert.Equal(_certificates.Member.Thumbprint, pem.Material.Certificate.Thumbprint);
        Assert.True(pem.Material.Certificate.HasPrivateKey);
        Assert.True(pem.IsSignedByCluster(_certificates.Member));
        Assert.False(pem.IsSignedByCluster(_certificates.Outsider));
        Assert.False(pem.IsSignedByCluster(_certificates.OutsiderCa));
        Assert.False(pem.IsSignedByCluster(null));

        using var pkcs12 = Create(new TlsOptions
        {
            CertificatePath = _certificates.MemberPkcs12Path,
            Password = TestCertificates.Pkcs12Password,
            CaPath = _certificates.CaPath,
            Resp = true,
        });
        Assert.Equal(_certificates.Member.Thumbprint, pkcs12.Material.Certificate.Thumbprint);
        Assert.True(pkcs12.Material.Certificate.HasPrivateKey);
    }

    [Fact]
    public void TlsOff_LoadsNothing_AndAMissingFileStopsTheNodeNamingIt()
    {
        using var off = Create(new TlsOptions());
        Assert.Throws<InvalidOperationException>(() => off.Material);

        var noCa = Assert.Throws<InvalidOperationException>(() => Create(new TlsOptions
        {
            CertificatePath = _certificates.MemberCertificatePath,
            KeyPath = _certificates.MemberKeyPath,
            Resp = true,
        }));
        Assert.Contains("CaPath", noCa.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<InvalidOperationException>(() => Create(new TlsOptions
        {
            CertificatePath = Path.Combine(_certificates.Directory, "absent.pem"),
            CaPath = _certificates.CaPath,
            Snapshots = true,
        }));
        Assert.Contains("absent.pem", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateFilesReplaced_NewHandshakesGetTheNewCertificate()
    {
        var folder = Path.Combine(_certificates.Directory, "live");
        Directory.CreateDirectory(folder);
        var certificate = Path.Combine(folder, "node.pem");
        var key = Path.Combine(folder, "node.key");
        File.Copy(_certificates.MemberCertificatePath, certificate);
        File.Copy(_certificates.MemberKeyPath, key);
        using var tls = Create(new TlsOptions { CertificatePath = certificate, KeyPath = key, CaPath = _certificates.CaPath, Resp = true });
        Assert.Equal(_certificates.Member.Thumbprint, tls.Material.Certificate.Thumbprint);

        // Replaced as deployment tools do: written beside, then renamed over the old files.
        File.Copy(_certificates.OutsiderCertificatePath, certificate + ".new");
        File.Copy(_certificates.OutsiderKeyPath, key + ".new");
        File.Move(key + ".new", key, overwrite: true);
        File.Move(certificate + ".new", certificate, overwrite: true);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (tls.Material.Certificate.Thumbprint != _certificates.Outsider.Thumbprint && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(_certificates.Outsider.Thumbprint, tls.Material.Certificate.Thumbprint);
    }

    private static NodeTls Create(TlsOptions tls) =>
        new(Options.Create(new NodeOptions { Tls = tls }), NullLogger<NodeTls>.Instance);

    public void Dispose() => _certificates.Dispose();
}
