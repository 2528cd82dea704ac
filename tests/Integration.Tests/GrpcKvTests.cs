using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The gRPC Kv service's Get, Range, Put and Delete through Grpc.Net.Client against real node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GrpcKvTests
{
    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task PutGetRangeDelete_OnAFollower_GiveRevisionsTtlsConditionsPagesAndPreviousValues()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        using var followerChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{follower.GrpcPort}");
        using var leaderChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{leader.GrpcPort}");
        var viaFollower = new Kv.KvClient(followerChannel);
        var viaLeader = new Kv.KvClient(leaderChannel);
        var deadline = DateTime.UtcNow.AddMinutes(2);

        var first = await viaFollower.PutAsync(new PutRequest { Key = B("cfg/b"), Value = B("1"), TtlMs = 600_000 }, deadline: deadline);
        Assert.True(first.Applied);
        Assert.True(first.ModRevision > 0);
        Assert.Null(first.PrevKv);

        var got = await viaLeader.GetAsync(new GetRequest { Key = B("cfg/b") }, deadline: deadline);
        Assert.True(got.Found);
        Assert.Equal("1", got.Value.ToStringUtf8());
        Assert.Equal(first.ModRevision, got.ModRevision);
        Assert.InRange(got.TtlMs, 1, 600_000);
        Assert.True(got.Revision >= got.ModRevision);

        // A refused conditional put changes nothing, not even the revision; a second one replaces and reports the first.
        var absent = await viaFollower.PutAsync(new PutRequest { Key = B("cfg/b"), Value = B("2"), Condition = PutRequest.Types.Condition.IfAbsent, PrevKv = true }, deadline: deadline);
        Assert.False(absent.Applied);
        Assert.Equal(first.ModRevision, absent.ModRevision);
        Assert.Equal("1", absent.PrevKv.Value.ToStringUtf8());
        var present = await viaFollower.PutAsync(new PutRequest { Key = B("cfg/b"), Value = B("3"), Condition = PutRequest.Types.Condition.IfPresent, PrevKv = true }, deadline: deadline);
        Assert.True(present.Applied);
        Assert.True(present.ModRevision > first.ModRevision);
        Assert.Equal(first.ModRevision, present.PrevKv.ModRevision);
        var afterPut = await viaFollower.GetAsync(new GetRequest { Key = B("cfg/b") }, deadline: deadline);
        Assert.Equal(-1, afterPut.TtlMs);
        Assert.False((await viaLeader.PutAsync(new PutRequest { Key = B("cfg/none"), Value = B("x"), Condition = PutRequest.Types.Condition.IfPresent }, deadline: deadline)).Applied);
        Assert.False((await viaLeader.GetAsync(new GetRequest { Key = B("cfg/none") }, deadline: deadline)).Found);

        foreach (var key in new[] { "cfg/e", "cfg/a", "cfg/d", "cfg/c", "other" })
            await viaLeader.PutAsync(new PutRequest { Key = B(key), Value = B(key.ToUpperInvariant()) }, deadline: deadline);
        await viaLeader.ExecuteAsync(new ExecuteRequest { Args = { B("SADD"), B("cfg/set"), B("m") } }, deadline: deadline);

        var keys = new List<string>();
        var after = ByteString.Empty;
        var pages = 0;
        while (true)
        {
            var page = await viaFollower.RangeAsync(new RangeRequest { Prefix = B("cfg/"), After = after, Limit = 2 }, deadline: deadline);
            pages++;
            keys.AddRange(page.Kvs.Select(static kv => kv.Key.ToStringUtf8()));
            Assert.All(page.Kvs, static kv => Assert.True(kv.ModRevision > 0));
            if (!page.More)
                break;
            after = page.NextAfter;
        }

        Assert.Equal(["cfg/a", "cfg/b", "cfg/c", "cfg/d", "cfg/e"], keys);
        Assert.Equal(3, pages);

        var deleted = await viaFollower.DeleteAsync(new DeleteRequest { Prefix = B("cfg/"), PrevKvs = true }, deadline: deadline);
        Assert.Equal(6, deleted.Deleted);
        Assert.Equal(["cfg/a", "cfg/b", "cfg/c", "cfg/d", "cfg/e"], deleted.PrevKvs.Select(static kv => kv.Key.ToStringUtf8()));
        Assert.Empty((await viaLeader.RangeAsync(new RangeRequest { Prefix = B("cfg/") }, deadline: deadline)).Kvs);
        Assert.True((await viaLeader.GetAsync(new GetRequest { Key = B("other") }, deadline: deadline)).Found);

        // The same keys through RESP: one keyspace, one executor.
        Assert.StartsWith("$5", await RawResp.TryCommandAsync(follower.RespPort, TimeSpan.FromSeconds(30), "GET", "other") ?? "");
    }

    [Fact]
    public async Task BadRequests_AreInvalidArgument_StateRefusalsFailedPrecondition_WithRedisText()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{node.GrpcPort}");
        var kv = new Kv.KvClient(channel);
        var deadline = DateTime.UtcNow.AddMinutes(2);

        var limit = await Assert.ThrowsAsync<RpcException>(async () => await kv.RangeAsync(new RangeRequest { Limit = 20_000 }, deadline: deadline));
        Assert.Equal((StatusCode.InvalidArgument, "ERR limit must be between 1 and 10000"), (limit.StatusCode, limit.Status.Detail));
        var ttl = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest { Key = B("k"), Value = B("v"), TtlMs = -5 }, deadline: deadline));
        Assert.Equal((StatusCode.InvalidArgument, "ERR invalid expire time in 'raftkv.kv.put' command"), (ttl.StatusCode, ttl.Status.Detail));
        var both = await Assert.ThrowsAsync<RpcException>(async () => await kv.DeleteAsync(new DeleteRequest { Keys = { B("k") }, Prefix = B("p") }, deadline: deadline));
        Assert.Equal(StatusCode.InvalidArgument, both.StatusCode);
        var none = await Assert.ThrowsAsync<RpcException>(async () => await kv.DeleteAsync(new DeleteRequest(), deadline: deadline));
        Assert.Equal(StatusCode.InvalidArgument, none.StatusCode);

        await kv.ExecuteAsync(new ExecuteRequest { Args = { B("LPUSH"), B("list"), B("x") } }, deadline: deadline);
        var wrongType = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Key = B("list") }, deadline: deadline));
        Assert.Equal((StatusCode.FailedPrecondition, "WRONGTYPE Operation against a key holding the wrong kind of value"), (wrongType.StatusCode, wrongType.Status.Detail));

        // A TTL counts from the entry's time on the leader: the key is gone once it has passed.
        await kv.PutAsync(new PutRequest { Key = B("short"), Value = B("v"), TtlMs = 200 }, deadline: deadline);
        await Task.Delay(1000);
        Assert.False((await kv.GetAsync(new GetRequest { Key = B("short") }, deadline: deadline)).Found);
    }
}
