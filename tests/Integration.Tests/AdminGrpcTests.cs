using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The gRPC Admin service through a real gRPC client, and leadership transfer, against node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class AdminGrpcTests
{
    [Fact]
    public async Task AdminOnAFollower_ListsMembers_RefusesAnUnknownOne()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = cluster.Nodes.First(n => n != leader);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{follower.GrpcPort}");
        var admin = new Admin.AdminClient(channel);

        var members = (await admin.MembersAsync(new MembersRequest())).Members;
        Assert.Equal(cluster.Nodes.Select(static n => $"127.0.0.1:{n.RaftPort}").Order(StringComparer.Ordinal), members.Select(static m => m.Raft));
        var leaderRow = Assert.Single(members, static m => m.Role == "leader");
        Assert.Equal($"127.0.0.1:{leader.RaftPort}", leaderRow.Raft);
        Assert.True(leaderRow.IsSelf);
        Assert.All(members, static m => Assert.True(m.Voting));

        // The leader knows every member's log end (each reports it once a second): none stays unknown (-1).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (members.Any(static m => m.MatchIndex < 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            members = (await admin.MembersAsync(new MembersRequest())).Members;
        }
        Assert.All(members, static m => Assert.True(m.MatchIndex >= 1, $"{m.Raft} match_index {m.MatchIndex}"));

        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await admin.RemoveMemberAsync(new RemoveMemberRequest { Raft = "127.0.0.1:1" }));
        Assert.Equal(StatusCode.FailedPrecondition, unknown.StatusCode);
        Assert.Equal("ERR 127.0.0.1:1 is not a member", unknown.Status.Detail);
    }

    // Regression: a transfer was a resignation followed by random-looking elections, but DotNext's pre-vote always
    // elects the member with the longest election timeout (drawn once per process), so the member with the shortest
    // one never won: 60 s of elections, then "did not move" (2 of 2 clean-clone runs, and again by hand). Moving
    // leadership to every member in turn, twice, reaches each member whatever the draw.
    [Fact]
    public async Task AdminOnAFollower_TransfersLeadershipToEachMemberInTurn_Twice()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var others = cluster.Nodes.Where(n => n != leader).ToList();
        foreach (var target in (List<NodeProcess>)[.. others, leader, .. others, leader])
        {
            // Sent to a follower that is not the target (relayed to the leader); answered once the target leads.
            var current = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var via = cluster.Nodes.First(n => n != current && n != target);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{via.GrpcPort}");
            var admin = new Admin.AdminClient(channel);
            await admin.TransferLeaderAsync(new TransferLeaderRequest { Raft = $"127.0.0.1:{target.RaftPort}" }, deadline: DateTime.UtcNow.AddMinutes(2));

            Assert.Equal(target, await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30)));
            Assert.StartsWith("+OK", await RawResp.TryCommandAsync(via.RespPort, $"SET after-transfer-{target.RaftPort} 1", timeout: RawResp.Answer) ?? "");
        }
    }

    [Fact]
    public async Task LeaderTransfer_ToAMemberThatIsDown_IsRefusedAtOnce_AndTheLeaderStays()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var down = cluster.Nodes.First(n => n != leader);
        down.Kill();

        var reply = await RawResp.TryCommandAsync(leader.RespPort, TimeSpan.FromSeconds(30), "RAFTKV.LEADER.TRANSFER", $"127.0.0.1:{down.RaftPort}") ?? "";
        Assert.StartsWith($"-ERR 127.0.0.1:{down.RaftPort} cannot be reached", reply);
        Assert.StartsWith("+OK", await RawResp.TryCommandAsync(leader.RespPort, "SET still-leading 1", timeout: RawResp.Answer) ?? "");
    }
}
