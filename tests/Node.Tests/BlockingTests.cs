using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Raft;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Commands;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>Blocking pops: served by a later push (itself a log entry), FIFO per key, timeouts, through followers.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BlockingTests
{
    [Fact]
    public async Task Blpop_OnAnEmptyList_IsServedByALaterPush_InFifoOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await using var first = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var second = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var pusher = await RespTestClient.ConnectAsync(leader.RespPort);

        // Each pop registered on the leader before the next step (a relayed one too): FIFO is the order of registration.
        var firstPop = first.SendAsync("BLPOP", "queue", "other", "0");
        await BlockedClients.WaitForWaitersAsync(leader, 1);
        var secondPop = second.SendAsync("BRPOP", "queue", "30");
        await BlockedClients.WaitForWaitersAsync(leader, 2);
        Assert.False(firstPop.IsCompleted);
        Assert.False(secondPop.IsCompleted);

        Assert.Equal("1", (await pusher.SendAsync("RPUSH", "queue", "a")).Text());
        Assert.Equal("[$queue, $a]", (await firstPop.WaitAsync(TimeSpan.FromSeconds(10))).ToString());
        Assert.False(secondPop.IsCompleted);

        Assert.Equal("1", (await pusher.SendAsync("LPUSH", "queue", "b")).Text());
        Assert.Equal("[$queue, $b]", (await secondPop.WaitAsync(TimeSpan.FromSeconds(10))).ToString());
        Assert.Equal("0", (await pusher.SendAsync("LLEN", "queue")).Text());

        // The pops were log entries: every replica agrees.
        await cluster.WaitForConvergenceAsync();
        var digests = await cluster.DigestsAsync();

        Assert.Single(digests.Distinct());
    }

    [Fact]
    public async Task Blpop_Timeout_AnswersNullArray_AndADataKeyIsServedAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        var clock = Stopwatch.StartNew();
        var reply = await client.SendAsync("BLPOP", "nothing", "0.5");
        Assert.True(reply is NullReply { Kind: NullKind.Array }, reply.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"returned after {clock.Elapsed}");

        Assert.Equal("2", (await client.SendAsync("RPUSH", "l", "x", "y")).Text());
        Assert.Equal("[$l, $x]", (await client.SendAsync("BLPOP", "l", "0")).ToString());
        Assert.Equal("y", (await client.SendAsync("BLMOVE", "l", "dst", "LEFT", "RIGHT", "1")).Text());
        Assert.Equal("-ERR timeout is negative", (await client.SendAsync("BLPOP", "l", "-1")).Text());
    }

    [Theory]
    [InlineData("BLPOP", "list", "0")]
    [InlineData("BLMOVE", "list", "dst", "LEFT", "LEFT", "0")]
    public async Task ABlockedPop_WokenWhileItsKeyHoldsAnotherType_KeepsWaiting(params string[] pop)
    {
        // Redis serves a blocked client only from a key of its type: a transaction that pushed, deleted and SET the key
        // left the client blocked (the suite's "LPUSH + DEL + SET should not awake blocked client" got WRONGTYPE).
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var blocked = await RespTestClient.ConnectAsync(node.RespPort);
        await using var other = await RespTestClient.ConnectAsync(node.RespPort);

        var read = blocked.SendAsync(pop);
        // Blocked for sure before the transaction: on a loaded machine a fixed wait let the pop arrive after the SET,
        // which then rightly answered WRONGTYPE at once.
        await BlockedClients.WaitForAsync(other, 1);
        await QueuePushDeleteAndSetAsync(other);
        Assert.Equal("[:1, :1, +OK]", (await other.SendAsync("EXEC")).ToString());
        await Task.Delay(500);
        Assert.False(read.IsCompleted, "the blocked pop was answered while its key held a string");

        Assert.Equal("1", (await other.SendAsync("DEL", "list")).Text());
        Assert.Equal("1", (await other.SendAsync("LPUSH", "list", "b")).Text());
        var expected = pop[0] == "BLPOP" ? "[$list, $b]" : "$b";
        Assert.Equal(expected, (await read.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
    }

    // What a woken move answers depends on its retry's reply alone, never on a later read of the keys.
    [Theory]
    [InlineData(CommandId.Blmove)]
    [InlineData(CommandId.Brpoplpush)]
    public void AWokenMove_KeepsWaitingOnItsSourcesWrongType_AndAnswersItsDestinationsWrongType(CommandId id)
    {
        var store = new RaftKV.StateMachine.KeyValueStore();
        store.Apply(new RaftKV.StateMachine.Log.LogCommand(CommandId.Set, 1000, 0, [Bytes("string"), Bytes("foo")]));
        store.Apply(new RaftKV.StateMachine.Log.LogCommand(CommandId.Rpush, 1000, 0, [Bytes("list"), Bytes("a")]));
        string[] tail = id == CommandId.Blmove ? ["LEFT", "LEFT", "0"] : ["0"];
        var fromString = store.Apply(new RaftKV.StateMachine.Log.LogCommand(id, 1000, 0, [Bytes("string"), Bytes("dst"), .. tail.Select(Bytes)]));
        var toString = store.Apply(new RaftKV.StateMachine.Log.LogCommand(id, 1000, 0, [Bytes("list"), Bytes("string"), .. tail.Select(Bytes)]));

        Assert.True(BlockingCommand.AfterWake(id, fromString, keysAreStreams: false) is NullReply { Kind: NullKind.Array });
        Assert.StartsWith("WRONGTYPE", Assert.IsType<ErrorReply>(BlockingCommand.AfterWake(id, toString, keysAreStreams: false)).Message);
    }

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    // The woken BLMOVE's retry is an entry of its own. It used to decide "keep waiting" by reading the source's type after
    // that entry applied: when a DEL and an LPUSH applied in between (a loaded machine), it saw a list and passed the
    // retry's WRONGTYPE on to the client. The retry's entry is held here while the DEL and the LPUSH are sent; they
    // queue behind it in the group commit and apply right after it.
    [Theory]
    [InlineData("BLMOVE", "list", "dst", "LEFT", "LEFT", "0")]
    [InlineData("BRPOPLPUSH", "list", "dst", "0")]
    public async Task AWokenMove_WhoseSourceHeldAnotherTypeWhenItsRetryApplied_KeepsWaiting_WhateverComesAfter(params string[] pop)
    {
        await using var cluster = TestCluster.Create(1);
        using var hold = ApplyHold.Install(cluster.Nodes[0]);
        await cluster.StartNodeAsync(0);
        var node = await cluster.WaitForLeaderAsync();
        await using var blocked = await RespTestClient.ConnectAsync(node.RespPort);
        await using var other = await RespTestClient.ConnectAsync(node.RespPort);
        await using var later = await RespTestClient.ConnectAsync(node.RespPort);

        var read = blocked.SendAsync(pop);
        await BlockedClients.WaitForAsync(other, 1);
        await QueuePushDeleteAndSetAsync(other);

        // The second entry from here is the woken pop's retry (the first is the EXEC, answered once the retry has applied,
        // as Redis answers it after looking at the blocked client).
        hold.HoldApply(2);
        var exec = other.SendAsync("EXEC");
        await hold.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        await later.SendRawAsync("*2\r\n$3\r\nDEL\r\n$4\r\nlist\r\n*3\r\n$5\r\nLPUSH\r\n$4\r\nlist\r\n$1\r\nb\r\n"u8.ToArray());
        await Task.Delay(100);
        Assert.False(exec.IsCompleted);
        hold.Release();

        Assert.Equal("[:1, :1, +OK]", (await exec.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
        Assert.Equal(":1", (await later.ReadReplyAsync()).ToString());
        Assert.Equal(":1", (await later.ReadReplyAsync()).ToString());
        Assert.Equal("$b", (await read.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
    }

    // The transaction of the suite's "LPUSH + DEL + SET should not awake blocked client", queued; the caller sends EXEC.
    private static async Task QueuePushDeleteAndSetAsync(RespTestClient client)
    {
        Assert.Equal("OK", (await client.SendAsync("MULTI")).Text());
        Assert.Equal("+QUEUED", (await client.SendAsync("LPUSH", "list", "a")).ToString());
        Assert.Equal("+QUEUED", (await client.SendAsync("DEL", "list")).ToString());
        Assert.Equal("+QUEUED", (await client.SendAsync("SET", "list", "foo")).ToString());
    }

    /// <summary>
    /// Redis serves the clients a push unblocks before its next command: once RPUSH list1 has answered, a chain of
    /// BLMOVEs it unblocked (list1 -> list2 -> list3) has run, and nobody sees the element half way (the suite's
    /// "Linked LMOVEs"). Each apply is slowed by 300 ms, so the pops that serve them (entries of their own) land well
    /// after the push's entry: before, LRANGE list1 after the push's reply still found the element.
    /// </summary>
    [Fact]
    public async Task APush_IsAnsweredAfterTheChainOfClientsItUnblocked_WasServed()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        await cluster.StopNodeAsync(node.Index);
        var slow = 0;
        node.TestServices = services => services.AddSingleton<Action<KvStateMachine>>(machine => machine.BeforeApply = _ =>
            Volatile.Read(ref slow) == 1 ? Task.Delay(300) : Task.CompletedTask);
        await cluster.StartNodeAsync(node.Index);
        await cluster.WaitForLeaderAsync();
        await using var first = await RespTestClient.ConnectAsync(node.RespPort);
        await using var second = await RespTestClient.ConnectAsync(node.RespPort);
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        var firstMove = first.SendAsync("BLMOVE", "list1", "list2", "RIGHT", "LEFT", "0");
        await BlockedClients.WaitForAsync(client, 1);
        var secondMove = second.SendAsync("BLMOVE", "list2", "list3", "LEFT", "RIGHT", "0");
        await BlockedClients.WaitForAsync(client, 2);

        Volatile.Write(ref slow, 1);
        Assert.Equal("1", (await client.SendAsync("RPUSH", "list1", "foo")).Text());
        Assert.Equal("[]", (await client.SendAsync("LRANGE", "list1", "0", "-1")).ToString());
        Assert.Equal("[]", (await client.SendAsync("LRANGE", "list2", "0", "-1")).ToString());
        Assert.Equal("[$foo]", (await client.SendAsync("LRANGE", "list3", "0", "-1")).ToString());
        Volatile.Write(ref slow, 0);
        Assert.Equal("foo", (await firstMove.WaitAsync(TimeSpan.FromSeconds(10))).Text());
        Assert.Equal("foo", (await secondMove.WaitAsync(TimeSpan.FromSeconds(10))).Text());
    }
}
