using System.Net;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>
/// Three node processes with TLS everywhere (RESP, gRPC, mutual TLS on Raft and on the snapshot endpoint), shared by
/// the tests of one class. Snapshots are taken every few entries so that the snapshot endpoint has a file to serve.
/// </summary>
public sealed class TlsCluster : IAsyncLifetime
{
    internal TestCertificates Certificates { get; } = TestCertificates.Create();

    internal ProcessCluster Cluster { get; private set; } = null!;

    /// <summary>The cluster secret these nodes are configured with, so a test can make a member's snapshot proof.</summary>
    internal const string ClusterSecret = "tls-cluster-test-secret";

    /// <summary>
    /// The proof a leader's manifest carries for snapshot file <paramref name="name"/> (RaftKV.Node.Security.MemberProof):
    /// HMAC-SHA256 under the cluster secret of "raftkv-snapshot:" and the name, lower-case hex.
    /// </summary>
    internal static string SnapshotProof(string name) => Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(ClusterSecret), System.Text.Encoding.UTF8.GetBytes("raftkv-snapshot:" + name)));

    public async Task InitializeAsync()
    {
        var settings = Certificates.NodeSettings();
        settings["RaftKV:SnapshotIntervalEntries"] = "20";
        settings["RaftKV:ClusterSecret"] = ClusterSecret;
        Cluster = await ProcessCluster.StartAsync(3, settings, Certificates);
    }

    /// <summary>StackExchange.Redis over TLS to every node, trusting only the test CA.</summary>
    internal ConfigurationOptions ClientOptions(params NodeProcess[] nodes)
    {
        var options = Cluster.ClientOptions();
        options.Ssl = true;
        options.CertificateValidation += (_, certificate, _, errors) => Certificates.IsTrustedServer(certificate, errors);
        if (nodes.Length > 0)
        {
            options.EndPoints.Clear();
            foreach (var node in nodes)
                options.EndPoints.Add(IPAddress.Loopback, node.RespPort);
        }

        return options;
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Certificates.Dispose();
    }
}
