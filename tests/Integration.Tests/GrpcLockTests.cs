using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The gRPC Lock service on the RAFTKV.LOCK.* table, through Grpc.Net.Client against node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GrpcLockTests
{
    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task Lock_OnAFollower_GrantsFencingTokens_WaitsUntilFreeOrTheDeadline_AndSharesTheRespLockTable()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{follower.GrpcPort}");
        var locks = new RaftKV.Grpc.V1.Lock.LockClient(channel);
        var deadline = DateTime.UtcNow.AddMinutes(2);

        var alice = await locks.AcquireAsync(new LockAcquireRequest { Name = B("job"), Owner = B("alice"), TtlMs = 60_000 }, deadline: deadline);
        Assert.True(alice.Token > 0);
        var owner = await locks.OwnerAsync(new LockOwnerRequest { Name = B("job") }, deadline: deadline);
        Assert.Equal((true, "alice", alice.Token), (owner.Held, owner.Owner.ToStringUtf8(), owner.Token));
        Assert.InRange(owner.TtlMs, 1, 60_000);
        Assert.Contains("alice", await RawResp.TryCommandAsync(leader.RespPort, TimeSpan.FromSeconds(30), "RAFTKV.LOCK.OWNER", "job") ?? "");

        var locked = await Assert.ThrowsAsync<RpcException>(async () =>
            await locks.AcquireAsync(new LockAcquireRequest { Name = B("job"), Owner = B("bob"), TtlMs = 60_000 }, deadline: deadline));
        Assert.Equal((StatusCode.FailedPrecondition, "LOCKED lock is held by another owner"), (locked.StatusCode, locked.Status.Detail));
        var waited = await Assert.ThrowsAsync<RpcException>(async () =>
            await locks.AcquireAsync(new LockAcquireRequest { Name = B("job"), Owner = B("bob"), TtlMs = 60_000, Wait = true }, deadline: DateTime.UtcNow.AddSeconds(2)));
        Assert.Equal(StatusCode.DeadlineExceeded, waited.StatusCode);
        var notOwner = await Assert.ThrowsAsync<RpcException>(async () =>
            await locks.RefreshAsync(new LockRefreshRequest { Name = B("job"), Owner = B("bob"), TtlMs = 1000 }, deadline: deadline));
        Assert.Equal((StatusCode.FailedPrecondition, "NOTOWNER lock is held by another owner"), (notOwner.StatusCode, notOwner.Status.Detail));
        var badTtl = await Assert.ThrowsAsync<RpcException>(async () =>
            await locks.AcquireAsync(new LockAcquireRequest { Name = B("job"), Owner = B("bob"), TtlMs = 0 }, deadline: deadline));
        Assert.Equal(StatusCode.InvalidArgument, badTtl.StatusCode);
        Assert.Equal(alice.Token, (await locks.RefreshAsync(new LockRefreshRequest { Name = B("job"), Owner = B("alice"), TtlMs = 60_000 }, deadline: deadline)).Token);

        // Bob waits; alice releases through RESP; bob gets the lock with a larger token.
        var bob = locks.AcquireAsync(new LockAcquireRequest { Name = B("job"), Owner = B("bob"), TtlMs = 60_000, Wait = true }, deadline: DateTime.UtcNow.AddMinutes(2)).ResponseAsync;
        await Task.Delay(500);
        Assert.False(bob.IsCompleted);
        Assert.StartsWith(":1", await RawResp.TryCommandAsync(leader.RespPort, TimeSpan.FromSeconds(30), "RAFTKV.LOCK.RELEASE", "job", "alice") ?? "");
        Assert.True((await bob).Token > alice.Token);

        Assert.True((await locks.ReleaseAsync(new LockReleaseRequest { Name = B("job"), Owner = B("bob") }, deadline: deadline)).Released);
        Assert.False((await locks.ReleaseAsync(new LockReleaseRequest { Name = B("job"), Owner = B("bob") }, deadline: deadline)).Released);
        Assert.False((await locks.OwnerAsync(new LockOwnerRequest { Name = B("job") }, deadline: deadline)).Held);
    }
}
