using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Execution;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// A follower relays a caller's commands on one forwarding connection to the leader. Commands of one caller relayed at
/// once (writes pipelined across a step-down) each found no connection yet and opened one: all but the last were left
/// open until the caller ended.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ForwarderSharingTests
{
    [Fact]
    public async Task CommandsOfOneCallerRelayedAtOnce_ShareOneForwardingConnection()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        for (var attempt = 1; ; attempt++)
        {
            var leader = await cluster.WaitForLeaderAsync();
            var follower = cluster.Nodes.First(node => node.Index != leader.Index);
            await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
            if ((await client.SendAsync("SET", "k", "v")).Text() != "OK" && attempt < 20)
            {
                await Task.Delay(200);
                continue;
            }

            var before = await ConnectedClientsAsync(client);

            var executor = follower.App!.Services.GetRequiredService<CommandExecutor>();
            var caller = new Caller();
            Assert.True(CommandTable.TryGet("GET"u8, out var get));
            var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(
                _ => executor.ExecuteAsync(get!, ["GET"u8.ToArray(), "k"u8.ToArray()], caller, CancellationToken.None).AsTask()));
            var after = await ConnectedClientsAsync(client);

            // A leader change meanwhile moves the relays elsewhere: the count on this leader says nothing then.
            if (!leader.IsLeader && attempt < 5)
            {
                if (caller.Forwarder is { } moved)
                    await moved.DisposeAsync();
                continue;
            }

            Assert.All(replies, reply => Assert.Equal("v", reply.Text()));
            Assert.NotNull(caller.Forwarder);
            Assert.Equal(before + 1, after);
            await caller.Forwarder!.DisposeAsync();
            return;
        }
    }

    private static async Task<int> ConnectedClientsAsync(RespTestClient client)
    {
        var info = (await client.SendAsync("INFO", "clients")).Text()!;
        var line = info.Split("\r\n").First(line => line.StartsWith("connected_clients:", StringComparison.Ordinal));
        return int.Parse(line["connected_clients:".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class Caller : IExecutionCaller
    {
        public bool IsForwarded => false;

        public int ProtocolVersion => 2;

        public ForwardingConnection? Forwarder { get; set; }

        public SemaphoreSlim ForwarderGate { get; } = new(1, 1);

        public bool IsBlocked { get; set; }

        public BlockedWait? Wait { get; set; }
    }
}
