using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// Real clients over TLS against three node processes that run TLS everywhere (the nodes elect a leader and replicate
/// over mutual TLS, and followers forward to the leader's TLS RESP port): redis-cli --tls, StackExchange.Redis with
/// ssl=true, redis-py with ssl=True, Grpc.Net.Client over https, each trusting only the test CA.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class TlsClientTests(TlsCluster tls) : IClassFixture<TlsCluster>
{
    private static readonly TimeSpan LeaderTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RedisCli_WithTlsAndCaCert_SetsThroughFollower_AndEveryNodeGets()
    {
        var leader = await tls.Cluster.WaitForLeaderAsync(LeaderTimeout);
        var follower = tls.Cluster.Nodes.First(n => n != leader);
        string[] options = ["--tls", "--cacert", tls.Certificates.CaPath];

        Assert.Equal("OK", await RedisCli.RunAsync(follower.RespPort, [.. options, "set", "cli", "over-tls"]));
        Assert.Equal("OK", await RedisCli.RunAsync(leader.RespPort, [.. options, "set", "cli2", "leader"]));
        foreach (var node in tls.Cluster.Nodes)
        {
            Assert.Equal("over-tls", await RedisCli.RunAsync(node.RespPort, [.. options, "get", "cli"]));
            Assert.Equal("leader", await RedisCli.RunAsync(node.RespPort, [.. options, "get", "cli2"]));
        }
    }

    [Fact]
    public async Task StackExchangeRedis_WithSsl_FindsTheLeader_WritesAndReadsThroughLeaderAndFollower()
    {
        var leader = await tls.Cluster.WaitForLeaderAsync(LeaderTimeout);
        var follower = tls.Cluster.Nodes.First(n => n != leader);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(tls.ClientOptions());
        Assert.True(redis.IsConnected);
        Assert.False(redis.GetServer("127.0.0.1", leader.RespPort).IsReplica);
        var db = redis.GetDatabase();
        Assert.True(await db.StringSetAsync("se", "ssl"));
        Assert.Equal("ssl", (string?)await db.StringGetAsync("se"));

        // Only the follower: its reads are forwarded to the leader over TLS. The write is sent raw (over TLS), since
        // StackExchange.Redis refuses to send a known write to a replica.
        await using var viaFollower = await ConnectionMultiplexer.ConnectAsync(tls.ClientOptions(follower));
        var followerDb = viaFollower.GetDatabase();
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(follower.RespPort, "SET se-follower forwarded", tls.Certificates, timeout: RawResp.Answer));
        Assert.Equal("forwarded", (string?)await followerDb.StringGetAsync("se-follower", CommandFlags.DemandReplica));
        Assert.Equal("ssl", (string?)await followerDb.StringGetAsync("se", CommandFlags.DemandReplica));
    }

    private const string RedisPyProgram = """
        import sys, redis
        ca = sys.argv[1]
        for port in sys.argv[2:]:
            r = redis.Redis(host='127.0.0.1', port=int(port), ssl=True, ssl_ca_certs=ca, ssl_cert_reqs='required', socket_timeout=30)
            assert r.set('py:' + port, 'v' + port), 'set'
            assert r.get('py:' + port) == ('v' + port).encode(), 'get'
        for port in sys.argv[2:]:
            r = redis.Redis(host='127.0.0.1', port=int(port), ssl=True, ssl_ca_certs=ca, ssl_cert_reqs='required', socket_timeout=30)
            for other in sys.argv[2:]:
                assert r.get('py:' + other) == ('v' + other).encode(), 'read of another node\'s write'
        try:
            redis.Redis(host='127.0.0.1', port=int(sys.argv[2]), ssl=False, socket_timeout=10).ping()
            raise SystemExit('a plaintext client got an answer from a TLS port')
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass
        print('redis-py tls ok')
        """;

    [Fact]
    public async Task RedisPy_WithSslCaCerts_SetsAndGetsThroughEveryNode()
    {
        var leader = await tls.Cluster.WaitForLeaderAsync(LeaderTimeout);
        var ports = tls.Cluster.Nodes.OrderBy(n => n == leader ? 0 : 1).Select(static n => n.RespPort.ToString(CultureInfo.InvariantCulture));
        var (exit, output) = await Python.RunAsync(RedisPyProgram, [tls.Certificates.CaPath, .. ports]);
        Assert.True(exit == 0, output);
        Assert.Contains("redis-py tls ok", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_OverTls_SetsOnFollower_AndLeaderGets()
    {
        var leader = await tls.Cluster.WaitForLeaderAsync(LeaderTimeout);
        var follower = tls.Cluster.Nodes.First(n => n != leader);
        using var followerChannel = Channel(follower);
        using var leaderChannel = Channel(leader);

        await new Kv.KvClient(followerChannel).SetAsync(new SetRequest { Key = ByteString.CopyFromUtf8("g-tls"), Value = ByteString.CopyFromUtf8("h2") });
        var got = await new Kv.KvClient(leaderChannel).GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("g-tls") });
        Assert.True(got.Found);
        Assert.Equal("h2", got.Value.ToStringUtf8());

        // Plain HTTP/2 to the TLS port gets no answer.
        using var plain = GrpcChannel.ForAddress($"http://127.0.0.1:{leader.GrpcPort}");
        await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
            await new Kv.KvClient(plain).GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("g-tls") }, deadline: DateTime.UtcNow.AddSeconds(20)));
    }

    [Fact]
    public async Task PlaintextClient_OnTlsRespPort_GetsNoReply_AndTheNodeKeepsServing()
    {
        var leader = await tls.Cluster.WaitForLeaderAsync(LeaderTimeout);
        foreach (var node in tls.Cluster.Nodes)
        {
            var reply = await RawResp.ExchangeAsync(node.RespPort, "SET plain 1\r\nPING\r\n"u8.ToArray(), TimeSpan.FromSeconds(10));
            var text = Encoding.ASCII.GetString(reply);
            Assert.DoesNotContain("+OK", text, StringComparison.Ordinal);
            Assert.DoesNotContain("PONG", text, StringComparison.Ordinal);
        }

        Assert.Equal("0", await RedisCli.RunAsync(leader.RespPort, "--tls", "--cacert", tls.Certificates.CaPath, "exists", "plain"));
        foreach (var node in tls.Cluster.Nodes)
            Assert.Contains("role:", await RawResp.TryCommandAsync(node.RespPort, "INFO replication", tls.Certificates, timeout: RawResp.Answer));
    }

    private GrpcChannel Channel(NodeProcess node) => GrpcChannel.ForAddress($"https://127.0.0.1:{node.GrpcPort}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => tls.Certificates.IsTrustedServer(certificate, errors) },
        },
    });

}
