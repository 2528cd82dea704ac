using System.Net;
using System.Net.Sockets;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>
/// On the plaintext Raft transport a node reads Raft messages only from members (RaftMembersOnly, the default): a
/// process that neither proves it holds the cluster secret nor connects from a member's address is closed unread.
/// Before, DotNext's TCP server read anyone's messages, and one byte (message type 2, "resign") made the leader step
/// down; with the setting off it still does (the control). Nodes listen on 127.0.0.1; the outsider connects from
/// 127.0.0.2, another address of the same loopback. The proof path: MemberOnlyTransportTests (Node.Tests).
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class RaftMembersOnlyTests
{
    private const byte ResignMessage = 2;

    [Fact]
    public async Task AnOutsidersResignRequest_IsRefusedUnread_AndTheLeaderStays()
    {
        // Slow elections (and so a longer handshake timeout): a member's own handshake that a loaded machine delays past
        // the timeout counts as refused, and this test counts the refusals. An accepted resign deposes the leader at
        // once whatever the timeouts (the control below).
        await using var cluster = await ProcessCluster.StartAsync(3, ProcessCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var before = await InfoAsync(leader.RespPort);

        // A wrong proof (64 hex digits no secret made) and then the resign message.
        var message = System.Text.Encoding.ASCII.GetBytes(new string('a', 64)).Append(ResignMessage).ToArray();
        Assert.True(await SendFromOutsiderAsync(leader.RaftPort, message), "the outsider's connection stayed open");
        await Task.Delay(TimeSpan.FromSeconds(3));

        var after = await InfoAsync(leader.RespPort);
        Assert.Equal(InfoFields.Long(before, "raft_refused_connections") + 1, InfoFields.Long(after, "raft_refused_connections"));

        // The members' own connections (several between each pair by now) were never refused.
        foreach (var node in cluster.Nodes)
            Assert.Equal(0, InfoFields.Long(await InfoAsync(node.RespPort), "raft_refused_connections") - (node == leader ? 1 : 0));
    }

    /// <summary>The control: with RaftMembersOnly off, the same byte from the same outsider deposes the leader.</summary>
    [Fact]
    public async Task WithRaftMembersOnlyOff_TheSameByteMakesTheLeaderResign()
    {
        await using var cluster = await ProcessCluster.StartAsync(settings: new() { ["RaftKV:RaftMembersOnly"] = "false" });
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var term = InfoFields.Long(await InfoAsync(leader.RespPort), "raft_term");

        await SendFromOutsiderAsync(leader.RaftPort, [ResignMessage]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (InfoFields.Long(await InfoAsync(leader.RespPort), "raft_term") == term && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.True(InfoFields.Long(await InfoAsync(leader.RespPort), "raft_term") > term, "the leader kept its term: the outsider's message was not read");
    }

    // Connects from 127.0.0.2, sends `message` and reports whether the node closed the connection within 10 s.
    private static async Task<bool> SendFromOutsiderAsync(int raftPort, byte[] message)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, raftPort));
        try
        {
            await socket.SendAsync(message);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[64];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<string> InfoAsync(int respPort) =>
        await RawResp.TryCommandAsync(respPort, "INFO raft", timeout: RawResp.Answer) ?? throw new InvalidOperationException("INFO raft got no answer");
}
