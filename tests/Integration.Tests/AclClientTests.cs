using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// ACL users with real clients against real node processes: redis-cli (--user/--pass), StackExchange.Redis
/// (User/Password), redis-py (username/password) and gRPC (username/password metadata), through the leader and a
/// follower; a read-only user (~cfg:* +@read) reads and is refused writes with NOPERM; requirepass asks every client.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class AclClientTests
{
    [Fact]
    public async Task UsersAndPasswords_WorkWithRedisCliStackExchangeRedisRedisPyAndGrpc()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.Equal("OK", await RedisCli.RunAsync(leader.RespPort, "ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "~cfg:*", "+@all", "-@dangerous"));
        Assert.Equal("OK", await RedisCli.RunAsync(leader.RespPort, "ACL", "SETUSER", "reader", "on", ">rpw", "~cfg:*", "+@read", "+@connection", "+info", "+config|get"));
        Assert.Equal("OK", await RedisCli.RunAsync(leader.RespPort, "SET", "cfg:db", "postgres://db"));

        // redis-cli on a follower.
        Assert.EndsWith("OK", await RedisCli.RunAsync(follower.RespPort, "--no-auth-warning", "--user", "app", "--pass", "apppw", "SET", "app:cli", "1"));
        Assert.EndsWith("NOPERM this user has no permissions to run the 'set' command",
            await RedisCli.RunAsync(follower.RespPort, "--no-auth-warning", "--user", "reader", "--pass", "rpw", "SET", "cfg:db", "x"));
        Assert.Contains("WRONGPASS", await RedisCli.RunAsync(follower.RespPort, "--no-auth-warning", "--user", "reader", "--pass", "bad", "GET", "cfg:db"), StringComparison.Ordinal);

        // StackExchange.Redis: a user with its password, and a read-only user refused a write.
        var appOptions = cluster.ClientOptions();
        appOptions.User = "app";
        appOptions.Password = "apppw";
        await using (var app = await ConnectionMultiplexer.ConnectAsync(appOptions))
        {
            Assert.True(await app.GetDatabase().StringSetAsync("app:se", "2"));
            Assert.Equal("postgres://db", (string?)await app.GetDatabase().StringGetAsync("cfg:db"));
        }

        var readerOptions = cluster.ClientOptions();
        readerOptions.User = "reader";
        readerOptions.Password = "rpw";
        await using (var reader = await ConnectionMultiplexer.ConnectAsync(readerOptions))
        {
            Assert.Equal("postgres://db", (string?)await reader.GetDatabase().StringGetAsync("cfg:db"));
            var refused = await Assert.ThrowsAsync<RedisServerException>(() => reader.GetDatabase().StringSetAsync("cfg:db", "x"));
            Assert.StartsWith("NOPERM", refused.Message, StringComparison.Ordinal);
        }

        // redis-py against the follower.
        var (exit, output) = await Python.RunAsync("""
            import sys, redis
            r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), username='reader', password='rpw')
            print(r.get('cfg:db').decode())
            try:
                r.set('cfg:db', 'x')
                print('set allowed')
            except redis.exceptions.NoPermissionError as e:
                print('refused:', e)
            try:
                redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), username='reader', password='bad').get('cfg:db')
            except redis.exceptions.ResponseError as e:
                print('wrongpass:', e)
            """, follower.RespPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(exit == 0, output);
        Assert.Equal(["postgres://db", "refused: this user has no permissions to run the 'set' command",
            "wrongpass: WRONGPASS invalid username-password pair or user is disabled."], output.Trim().Split('\n'));

        // gRPC: the call's metadata names the user.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{follower.GrpcPort}");
        var grpc = new Kv.KvClient(channel);
        var readerMetadata = new Metadata { { "username", "reader" }, { "password", "rpw" } };
        Assert.True((await grpc.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("cfg:db") }, readerMetadata)).Found);
        var denied = await Assert.ThrowsAsync<RpcException>(async () =>
            await grpc.SetAsync(new SetRequest { Key = ByteString.CopyFromUtf8("cfg:db"), Value = ByteString.CopyFromUtf8("x") }, readerMetadata));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        // requirepass: every client must authenticate, gRPC included.
        Assert.Equal("OK", await RedisCli.RunAsync(leader.RespPort, "CONFIG", "SET", "requirepass", "s3cret"));
        Assert.Equal("NOAUTH Authentication required.", await RedisCli.RunAsync(leader.RespPort, "GET", "cfg:db"));
        Assert.Equal("postgres://db", await RedisCli.RunAsync(leader.RespPort, "--no-auth-warning", "-a", "s3cret", "GET", "cfg:db"));

        // The follower applies the change a moment after the leader acknowledged it.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await RedisCli.RunAsync(follower.RespPort, "GET", "cfg:db") != "NOAUTH Authentication required." && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var unauthenticated = await Assert.ThrowsAsync<RpcException>(async () =>
            await grpc.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("cfg:db") }, new Metadata(), DateTime.UtcNow.AddSeconds(30)));
        Assert.True(unauthenticated.StatusCode == StatusCode.Unauthenticated, unauthenticated.Status.Detail);
        Assert.True((await grpc.GetAsync(new GetRequest { Key = ByteString.CopyFromUtf8("cfg:db") }, new Metadata { { "password", "s3cret" } })).Found);
        var passwordOnly = cluster.ClientOptions();
        passwordOnly.Password = "s3cret";
        await using (var client = await ConnectionMultiplexer.ConnectAsync(passwordOnly))
            Assert.Equal("postgres://db", (string?)await client.GetDatabase().StringGetAsync("cfg:db"));
    }
}
