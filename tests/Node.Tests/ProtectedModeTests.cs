using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Security;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Protected mode (protected-mode yes, Redis's default): a node listening on every interface whose default user has no
/// password serves loopback clients only; any other client gets Redis's -DENIED text and is closed. Clients connect
/// from a second address of this machine to be non-loopback for real.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ProtectedModeTests
{
    /// <summary>redis-server 7.0.15's words, byte for byte (networking.c, clientAcceptHandler).</summary>
    private const string Denied =
        "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. "
        + "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to "
        + "Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
        + "protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE "
        + "SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
        + "Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode "
        + "option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the "
        + "'--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of "
        + "the above things in order for the server to start accepting connections from the outside.";

    [Fact]
    public async Task WildcardBind_NoPassword_NonLoopbackClientIsDeniedAndClosed_LoopbackClientIsServed()
    {
        var outside = LocalAddresses.NonLoopbackIPv4();
        var port = TestPorts.Next();
        await using var cluster = await TestCluster.StartAsync(1, new() { ["RespEndpoint"] = $"0.0.0.0:{port}" });
        await cluster.WaitForLeaderAsync();

        await using (var local = await RespTestClient.ConnectAsync(port))
            Assert.Equal("PONG", (await local.SendAsync("PING")).Text());
        if (outside is null)
            return; // No second address on this machine: ProtectedModeDecisionTests cover the decision.

        await using var remote = await RespTestClient.ConnectFromAsync(outside, new IPEndPoint(outside, port));
        Assert.Equal(Denied, (await remote.ReadReplyAsync()).Text());
        Assert.True(await remote.IsClosedByServerAsync());
    }

    [Fact]
    public async Task WildcardBind_AfterConfigSetProtectedModeNo_NonLoopbackClientIsServed()
    {
        var outside = LocalAddresses.NonLoopbackIPv4();
        var port = TestPorts.Next();
        await using var cluster = await TestCluster.StartAsync(1, new() { ["RespEndpoint"] = $"0.0.0.0:{port}" });
        await cluster.WaitForLeaderAsync();
        await using (var local = await RespTestClient.ConnectAsync(port))
        {
            Assert.Equal("OK", (await local.SendAsync("CONFIG", "SET", "protected-mode", "no")).Text());
        }

        if (outside is null)
            return;
        await using var remote = await RespTestClient.ConnectFromAsync(outside, new IPEndPoint(outside, port));
        Assert.Equal("PONG", (await remote.SendAsync("PING")).Text());
    }

    [Fact]
    public async Task ExplicitNonLoopbackBind_ServesItsClients()
    {
        var outside = LocalAddresses.NonLoopbackIPv4();
        if (outside is null)
            return;
        var port = TestPorts.Next();
        await using var cluster = await TestCluster.StartAsync(1, new() { ["RespEndpoint"] = $"{outside}:{port}" });
        await cluster.WaitForLeaderAsync();

        await using var remote = await RespTestClient.ConnectFromAsync(outside, new IPEndPoint(outside, port));
        Assert.Equal("PONG", (await remote.SendAsync("PING")).Text());
    }

    [Fact]
    public async Task WildcardBind_DefaultUserWithPassword_ServesNonLoopbackClients()
    {
        var outside = LocalAddresses.NonLoopbackIPv4();
        if (outside is null)
            return;
        var port = TestPorts.Next();
        await using var cluster = await TestCluster.StartAsync(1, new() { ["RespEndpoint"] = $"0.0.0.0:{port}" });
        cluster.Nodes[0].TestServices = static services => services.AddSingleton<IDefaultUserPassword>(new PasswordSet());
        await cluster.StopNodeAsync(0);
        await cluster.StartNodeAsync(0);
        await cluster.WaitForLeaderAsync();

        await using var remote = await RespTestClient.ConnectFromAsync(outside, new IPEndPoint(outside, port));
        Assert.Equal("PONG", (await remote.SendAsync("PING")).Text());
    }

    /// <summary>
    /// A follower's forwarding connection comes from its own address, not loopback: a client from a member's address
    /// is let in only by the forwarding handshake; anything else it sends first is denied.
    /// </summary>
    [Fact]
    public async Task WildcardBind_ClientFromAMembersAddress_IsServedOnlyAfterTheForwardingHandshake()
    {
        var outside = LocalAddresses.NonLoopbackIPv4();
        if (outside is null)
            return;
        var (port, raft) = (TestPorts.Next(), $"{outside}:{TestPorts.Next()}");
        await using var cluster = await TestCluster.StartAsync(1, new()
        {
            ["RespEndpoint"] = $"0.0.0.0:{port}",
            ["RaftEndpoint"] = raft,
            ["Members:0"] = raft,
        });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!cluster.Nodes[0].IsLeader && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(cluster.Nodes[0].IsLeader);

        await using (var plain = await RespTestClient.ConnectFromAsync(outside, new IPEndPoint(outside, port)))
        {
            Assert.Equal(Denied, (await plain.SendAsync("PING")).Text());
            Assert.True(await plain.IsClosedByServerAsync());
        }

        await using var forwarder = await RespTestClient.ConnectFromAsync(outside, new IPEndPoint(outside, port));
        Assert.Equal("OK", await MemberHandshake.ForwardAsync(forwarder, cluster.Nodes[0]));
        Assert.Equal("PONG", (await forwarder.SendAsync("PING")).Text());
    }

    private sealed class PasswordSet : IDefaultUserPassword
    {
        public bool DefaultUserHasPassword => true;
    }
}
