using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Only cluster members (certificates signed by the cluster CA) reach the Raft transport and the snapshot endpoint
/// when they run mutual TLS: a peer without a certificate or with one from another CA is refused during the handshake,
/// a node that holds such a certificate never receives an entry, and a member downloads snapshots over HTTPS.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class TlsMembershipTests(TlsCluster tls) : IClassFixture<TlsCluster>
{
    private static readonly TimeSpan LeaderTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RaftPort_ClosesPeersWithoutAClusterCertificate_AndKeepsAMemberConnected()
    {
        var node = (await tls.Cluster.WaitForLeaderAsync(LeaderTimeout)).RaftPort;

        Assert.True(await ClosedWithinAsync(node, null, TimeSpan.FromSeconds(30)), "a peer without a certificate stayed connected");
        Assert.True(await ClosedWithinAsync(node, tls.Certificates.Outsider, TimeSpan.FromSeconds(30)), "a peer with another CA's certificate stayed connected");

        // The control: a member's connection stays open, waiting for a Raft message. The node gives a handshake its Raft
        // request timeout (DotNext's TcpServer: 450 ms by default), which a loaded machine can exceed; a node that closed
        // every connection would fail all three tries.
        var open = false;
        for (var attempt = 0; attempt < 3 && !open; attempt++)
            open = !await ClosedWithinAsync(node, tls.Certificates.Member, TimeSpan.FromSeconds(3));
        Assert.True(open, "a member's connection was closed, three times");
    }

    [Fact]
    public async Task SnapshotEndpoint_RefusesClientsWithoutAClusterCertificate_AndServesAMember()
    {
        var leader = await tls.Cluster.WaitForLeaderAsync(LeaderTimeout);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(tls.ClientOptions()))
        {
            var db = redis.GetDatabase();
            for (var i = 0; i < 60; i++)
                await db.StringSetAsync($"snap:{i}", new string('s', 100));
        }

        var snapshots = Path.Combine(leader.DataDirectory, "snapshots");
        string? Latest() => Directory.GetFiles(snapshots).Select(Path.GetFileName).Where(static n => SnapshotName().IsMatch(n!))
            .OrderByDescending(static n => long.Parse(n!.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Latest() is null && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        var name = Latest();
        Assert.NotNull(name);

        foreach (var stranger in new[] { null, tls.Certificates.Outsider })
        {
            using var http = Client(stranger);
            var url = $"https://127.0.0.1:{leader.SnapshotPort}/raftkv/snapshots/{name}";
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetByteArrayAsync(url));
            Assert.Null(refused.StatusCode);
        }

        // The control: a member gets the file (taken again if a newer snapshot reclaimed it meanwhile).
        using var member = Client(tls.Certificates.Member);
        for (var attempt = 0; ; attempt++)
        {
            name = Latest()!;
            // Mutual TLS admits the member's connection; the endpoint still asks for the member proof of the file.
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{leader.SnapshotPort}/raftkv/snapshots/{name}");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TlsCluster.SnapshotProof(name));
            using var response = await member.SendAsync(request);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound && attempt < 10)
                continue;
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
            break;
        }
    }

    [Fact]
    public async Task NodeWithAnotherCasCertificate_NeverReceivesEntries_WhileTheMembersReplicate()
    {
        using var certificates = TestCertificates.Create();

        // Node 2 is in the member list but holds a certificate the cluster CA did not sign (it trusts the cluster CA
        // itself, so the refusal is the members' doing). Its RESP port is plaintext so the test can ask it.
        var outsider = new Dictionary<string, string>
        {
            ["RaftKV:Tls:CertificatePath"] = certificates.OutsiderCertificatePath,
            ["RaftKV:Tls:KeyPath"] = certificates.OutsiderKeyPath,
            ["RaftKV:Tls:Resp"] = "false",
        };
        await using var cluster = await ProcessCluster.StartAsync(3, certificates.NodeSettings(), certificates,
            index => index == 2 ? outsider : new Dictionary<string, string>());
        var leader = await cluster.WaitForLeaderAsync(LeaderTimeout);
        Assert.NotEqual(2, leader.Index);
        var member = cluster.Nodes.First(n => n.Index != 2 && n != leader);

        var options = new ConfigurationOptions { AbortOnConnectFail = false, ConnectTimeout = 5000, SyncTimeout = 15000, AsyncTimeout = 15000, Ssl = true };
        options.CertificateValidation += (_, certificate, _, errors) => certificates.IsTrustedServer(certificate, errors);
        options.EndPoints.Add("127.0.0.1", leader.RespPort);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        for (var i = 0; i < 20; i++)
            Assert.True(await redis.GetDatabase().StringSetAsync($"k{i}", "v"));

        // The other member has every entry (the leader replicates), and some heartbeats more pass.
        var memberInfo = await WaitForAppliedAsync(member.RespPort, certificates, Applied(await RawResp.TryCommandAsync(leader.RespPort, "INFO raft", certificates, RawResp.Answer)));
        await Task.Delay(TimeSpan.FromSeconds(3));

        var outsiderInfo = await RawResp.TryCommandAsync(cluster.Nodes[2].RespPort, "INFO raft", timeout: RawResp.Answer);
        Assert.NotNull(outsiderInfo);
        Assert.Equal(0, Applied(outsiderInfo));
        Assert.Contains("raft_commit_index:0\r\n", outsiderInfo, StringComparison.Ordinal);
        Assert.True(Applied(memberInfo) >= 20, memberInfo);
        Assert.Contains("raft_leader:", outsiderInfo, StringComparison.Ordinal);
        Assert.DoesNotContain($"raft_leader:127.0.0.1:{leader.RaftPort}\r\n", outsiderInfo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LaggingFollower_CatchesUpByDownloadingTheSnapshotOverMutualTls()
    {
        using var certificates = TestCertificates.Create();
        var settings = certificates.NodeSettings();
        settings["RaftKV:SnapshotIntervalEntries"] = "20";
        settings["RaftKV:SnapshotInlineBytes"] = "1024";
        await using var cluster = await ProcessCluster.StartAsync(3, settings, certificates);
        var leader = await cluster.WaitForLeaderAsync(LeaderTimeout);
        var follower = cluster.Nodes.First(n => n != leader);
        follower.Kill();

        var options = new ConfigurationOptions { AbortOnConnectFail = false, ConnectTimeout = 5000, SyncTimeout = 15000, AsyncTimeout = 15000, Ssl = true };
        options.CertificateValidation += (_, certificate, _, errors) => certificates.IsTrustedServer(certificate, errors);
        options.EndPoints.Add("127.0.0.1", leader.RespPort);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(options))
        {
            for (var i = 0; i < 100; i++)
                Assert.True(await redis.GetDatabase().StringSetAsync($"lag:{i}", new string('x', 200)));
        }

        var target = Applied(await RawResp.TryCommandAsync(leader.RespPort, "INFO raft", certificates, RawResp.Answer));
        cluster.Restart(follower.Index);
        string info;
        try
        {
            info = await WaitForAppliedAsync(follower.RespPort, certificates, target);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\nfollower:\n" + follower.Output + "\nleader:\n" + leader.Output, e);
        }

        Assert.True(Applied(info) >= target, info);
        var persistence = await RawResp.TryCommandAsync(follower.RespPort, "INFO persistence", certificates, RawResp.Answer);
        Assert.True(Counter(persistence, "raft_snapshot_downloads_completed") >= 1, persistence);
        Assert.True(Counter(persistence, "raft_snapshot_bytes_downloaded") > 1024, persistence);
    }

    [Fact]
    public async Task RespClientAuthYes_RefusesRedisCliWithoutACertificate_AndServesOneWithAClusterCertificate()
    {
        using var certificates = TestCertificates.Create();
        var settings = certificates.NodeSettings(grpc: false, raft: false, snapshots: false);
        settings["RaftKV:Tls:RespClientAuth"] = "Yes";
        await using var cluster = await ProcessCluster.StartAsync(1, settings, certificates);
        var port = cluster.Nodes[0].RespPort;
        string[] trust = ["--tls", "--cacert", certificates.CaPath];

        Assert.NotEqual("PONG", await RedisCli.RunAsync(port, [.. trust, "ping"]));
        Assert.NotEqual("PONG", await RedisCli.RunAsync(port, [.. trust, "--cert", certificates.OutsiderCertificatePath, "--key", certificates.OutsiderKeyPath, "ping"]));
        Assert.Equal("PONG", await RedisCli.RunAsync(port, [.. trust, "--cert", certificates.MemberCertificatePath, "--key", certificates.MemberKeyPath, "ping"]));
    }

    // Connects to a TLS port presenting certificate (or none) and tells whether the server closed the connection
    // within the time: during the handshake, or (TLS 1.3 checks the client's certificate after the client finished)
    // at the first read.
    private static async Task<bool> ClosedWithinAsync(int port, X509Certificate2? certificate, TimeSpan time)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(time);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",

                // The server's identity is not under test here; the test's own certificate is.
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
            }, timeout.Token);
            return await ssl.ReadAsync(new byte[1], timeout.Token) == 0;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private HttpClient Client(X509Certificate2? certificate) => new(new SocketsHttpHandler
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, server, _, errors) => tls.Certificates.IsTrustedServer(server, errors),
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate!,
        },
    })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static async Task<string> WaitForAppliedAsync(int port, TestCertificates certificates, long target)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        string? info = null;
        while (DateTime.UtcNow < deadline)
        {
            info = await RawResp.TryCommandAsync(port, "INFO raft", certificates);
            if (info is not null && Applied(info) >= target)
                return info;
            await Task.Delay(200);
        }

        throw new TimeoutException($"node on {port} did not apply up to {target}: {info}");
    }

    private static long Applied(string? info) => Counter(info, "raft_applied_index");

    private static long Counter(string? info, string name)
    {
        var match = Regex.Match(info ?? string.Empty, name + @":(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"^\d+-\d+$")]
    private static partial Regex SnapshotName();
}
