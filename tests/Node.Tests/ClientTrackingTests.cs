using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// CLIENT TRACKING (Redis 7.0's client-side caching) through real nodes: the node a client is connected to remembers what
/// it read and invalidates it when it applies a change, whichever node the write was made on. Three-node clusters run
/// with slow elections (TestCluster.SlowElections): an EXEC relayed by a follower across a leader change ends
/// CLUSTERDOWN, and these tests are about invalidations, not failover.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientTrackingTests
{
    [Fact]
    public async Task Resp3Tracking_WriteByAnotherClient_PushesInvalidateOnce_ThenForgetsTheKey()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await writer.SendAsync("SET", "k", "1");
        await writer.SendAsync("SET", "other", "1");

        Assert.Equal("1", (await tracker.SendAsync("GET", "k")).Text());
        Assert.Equal("1", (await tracker.SendAsync("GET", "other")).Text());
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "2"));
        Assert.Equal(["k"], Invalidated(await tracker.ReadReplyAsync()));

        // Sent once: k is forgotten until read again, so the next invalidation is other's.
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "3"));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "other", "2"));
        Assert.Equal(["other"], Invalidated(await tracker.ReadReplyAsync()));
    }

    [Fact]
    public async Task Tracking_OnAFollower_InvalidatesWhenTheFollowerAppliesAWriteMadeOnTheLeader()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var writer = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "config:a", "1"));

        await using var tracker = await TrackingClientAsync(follower.RespPort, "CLIENT", "TRACKING", "ON");
        Assert.Equal("1", (await tracker.SendAsync("GET", "config:a")).Text());
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "config:a", "2"));
        Assert.Equal(["config:a"], Invalidated(await tracker.ReadReplyAsync()));
        Assert.Equal("2", (await tracker.SendAsync("GET", "config:a")).Text());
    }

    [Fact]
    public async Task Resp2Redirect_DeliversOnInvalidateChannel_AndAGoneRedirectClientIsReportedBroken()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        var (redirect, redirectId) = await RedirectClientAsync(node.RespPort);
        await using var _ = redirect;
        await using var tracker = await RespTestClient.ConnectAsync(node.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await tracker.SendAsync("CLIENT", "TRACKING", "ON", "REDIRECT", redirectId)).Text());
        Assert.Equal(redirectId, (await tracker.SendAsync("CLIENT", "GETREDIR")).Text());
        await tracker.SendAsync("GET", "k");
        await writer.SendAsync("SET", "k", "1");
        Assert.Equal(["k"], InvalidatedMessage(await redirect.ReadReplyAsync()));

        // The redirect client goes away: the next invalidation finds it gone (RESP3 clients get told so).
        await redirect.DisposeAsync();
        await WaitUntilAsync(async () => !(await writer.SendAsync("CLIENT", "LIST")).Text()!.Contains($"id={redirectId} "));
        Assert.Equal("OK", (await tracker.SendAsync("HELLO", "3")) is MapReply ? "OK" : "no map");
        await tracker.SendAsync("GET", "k");
        await writer.SendAsync("SET", "k", "2");
        var broken = Assert.IsType<PushReply>(await tracker.ReadReplyAsync());
        Assert.Equal(["tracking-redir-broken", redirectId], broken.Items.Select(static i => i.Text()));
        var info = Assert.IsType<MapReply>(await tracker.SendAsync("CLIENT", "TRACKINGINFO"));
        Assert.Contains("broken_redirect", Assert.IsType<SetReply>(info.Entries[0].Value).Items.Select(static i => i.Text()));
        Assert.Contains("flags=tR ", (await tracker.SendAsync("CLIENT", "INFO")).Text());
    }

    [Fact]
    public async Task Bcast_WithPrefix_SendsTheMatchingKeysOfOneEntryInOneMessage_AndNothingElse()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        await writer.SendAsync("MULTI");
        await writer.SendAsync("SET", "a:1", "x");
        await writer.SendAsync("SET", "b:1", "x");
        await writer.SendAsync("INCR", "a:2");
        await writer.SendAsync("SET", "a:1", "again");
        Assert.IsType<ArrayReply>(await writer.SendAsync("EXEC"));
        Assert.Equal(["a:1", "a:2"], Invalidated(await tracker.ReadReplyAsync()).Order(StringComparer.Ordinal));

        // An MSET of 20,000 keys, each named twice: each key once, in one message (a linear search per key made this
        // 2*10^8 comparisons under the tracking lock).
        var pairs = Enumerable.Range(0, 20_000).SelectMany(static i => new[] { $"a:m{i % 10_000}", "v" }).ToArray();
        Assert.Equal("OK", (await writer.SendAsync(["MSET", .. pairs])).Text());
        var invalidated = Invalidated(await tracker.ReadReplyAsync());
        Assert.Equal(10_000, invalidated.Count);
        Assert.Equal(10_000, invalidated.Distinct(StringComparer.Ordinal).Count());

        await writer.SendAsync("SET", "b:2", "x");
        await writer.SendAsync("DEL", "a:1");
        Assert.Equal(["a:1"], Invalidated(await tracker.ReadReplyAsync()));
        Assert.Contains("flags=tB ", (await tracker.SendAsync("CLIENT", "INFO")).Text());
    }

    [Fact]
    public async Task NoLoop_TheClientsOwnWritesAreNotInvalidated()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "NOLOOP");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await tracker.SendAsync("GET", "mine");
        await tracker.SendAsync("GET", "theirs");

        Assert.Equal("OK", await tracker.SendRetryingAsync("SET", "mine", "1"));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "theirs", "1"));
        Assert.Equal(["theirs"], Invalidated(await tracker.ReadReplyAsync()));
    }

    [Fact]
    public async Task NoLoop_AKeysExpiryWhileTheClientsWriteOfItIsInFlight_IsStillInvalidated()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP");

        // EXEC stays in flight for the DEBUG SLEEP run after its entry; the key expires and is swept meanwhile
        // (Redis's "Tracking gets notification of lazy expired keys").
        await tracker.SendAsync("MULTI");
        await tracker.SendAsync("SET", "soon", "v", "PX", "1");
        await tracker.SendAsync("DEBUG", "SLEEP", "1");
        Assert.IsType<ArrayReply>(await tracker.SendAsync("EXEC"));
        Assert.Equal(["soon"], Invalidated(await tracker.ReadReplyAsync()));
    }

    [Fact]
    public async Task OptIn_TracksOnlyTheReadAfterCachingYes()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "OPTIN");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await tracker.SendAsync("GET", "uncached");
        Assert.Equal("OK", (await tracker.SendAsync("CLIENT", "CACHING", "YES")).Text());
        await tracker.SendAsync("GET", "cached");
        await tracker.SendAsync("GET", "after");

        await writer.SendAsync("SET", "uncached", "1");
        await writer.SendAsync("SET", "after", "1");
        await writer.SendAsync("SET", "cached", "1");
        Assert.Equal(["cached"], Invalidated(await tracker.ReadReplyAsync()));
    }

    [Fact]
    public async Task Flushall_SendsANullInvalidation_AndTheOwnWritesInvalidationFollowsItsReply()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await writer.SendAsync("HSET", "h", "f", "1");
        await tracker.SendAsync("HGET", "h", "f");

        // As Redis ("hdel deliver invalidate message after response in the same connection").
        Assert.Equal("1", (await tracker.SendAsync("HDEL", "h", "f")).Text());
        Assert.Equal(["h"], Invalidated(await tracker.ReadReplyAsync()));

        Assert.Equal("OK", (await writer.SendAsync("FLUSHALL")).Text());
        var push = Assert.IsType<PushReply>(await tracker.ReadReplyAsync());
        Assert.Equal("invalidate", push.Items[0].Text());
        Assert.IsType<NullReply>(push.Items[1]);
    }

    [Fact]
    public async Task Invalidation_ProducedWhileTheClientsCommandRuns_FollowsThatCommandsReply()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        await tracker.SendAsync("GET", "k");

        // The write lands while the tracker's command runs (DEBUG SLEEP holds only its own connection here; in Redis it
        // holds the server, so the write, and its invalidation, come after the reply there too).
        var sleeping = tracker.SendAsync("DEBUG", "SLEEP", "3");
        await WaitUntilAsync(async () => (await writer.SendAsync("CLIENT", "LIST")).Text()!.Contains("cmd=debug", StringComparison.Ordinal));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "1"));
        Assert.Equal("OK", (await sleeping).Text());
        Assert.Equal(["k"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // A read remembers its keys when it starts; a change applied before it runs invalidates and forgets them, and the
    // read then returns the changed value. Sent to the REDIRECT connection at once, that invalidation could reach the
    // client before the value, which it would then keep, untracked. It now waits for the replies of the commands the
    // tracking client had started, as a RESP3 client's own pushes do (DEBUG SLEEP stands in for a read in flight).
    [Fact]
    public async Task Resp2Redirect_InvalidationWaitsForTheRepliesOfTheTrackingClientsCommandsInFlight()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        var (redirect, redirectId) = await RedirectClientAsync(node.RespPort);
        await using var _ = redirect;
        await using var tracker = await RespTestClient.ConnectAsync(node.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await tracker.SendAsync("CLIENT", "TRACKING", "ON", "REDIRECT", redirectId)).Text());
        await tracker.SendAsync("GET", "k");

        var sleeping = tracker.SendAsync("DEBUG", "SLEEP", "5");
        await WaitUntilAsync(async () => (await writer.SendAsync("CLIENT", "LIST")).Text()!.Contains("cmd=debug", StringComparison.Ordinal));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "1"));
        var message = redirect.ReadReplyAsync();
        await Task.WhenAny(message, Task.Delay(1500));
        if (!sleeping.IsCompleted)
            Assert.False(message.IsCompleted, "the invalidation reached the redirect connection before the reply of the command in flight");
        Assert.Equal("OK", (await sleeping).Text());
        Assert.Equal(["k"], InvalidatedMessage(await message));
    }

    // What a closing tracking client held for its redirect connection still goes there: the keys were forgotten when
    // they were invalidated, so nothing else would tell the application, whose cache outlives the connection.
    [Fact]
    public async Task Resp2Redirect_InvalidationsHeldByATrackingClient_AreSentWhenItCloses()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        var (redirect, redirectId) = await RedirectClientAsync(node.RespPort);
        await using var _ = redirect;
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        var tracker = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await tracker.SendAsync("CLIENT", "TRACKING", "ON", "REDIRECT", redirectId)).Text());
        await tracker.SendAsync("GET", "k");

        await tracker.SendRawAsync(System.Text.Encoding.ASCII.GetBytes("*3\r\n$5\r\nBLPOP\r\n$4\r\nlist\r\n$1\r\n0\r\n"));
        await WaitUntilAsync(async () => (await writer.SendAsync("CLIENT", "LIST")).Text()!.Contains("cmd=blpop", StringComparison.Ordinal));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "1"));
        var message = redirect.ReadReplyAsync();
        await tracker.DisposeAsync();
        Assert.Equal(["k"], InvalidatedMessage(await message.WaitAsync(TimeSpan.FromSeconds(30))));
    }

    private static async Task<(RespTestClient Client, string Id)> RedirectClientAsync(int port)
    {
        var redirect = await RespTestClient.ConnectAsync(port);
        var id = (await redirect.SendAsync("CLIENT", "ID")).Text()!;
        await redirect.SendAsync("SUBSCRIBE", "__redis__:invalidate");
        return (redirect, id);
    }

    /// <summary>The keys of an invalidation message on __redis__:invalidate (a RESP2 redirect connection).</summary>
    private static List<string?> InvalidatedMessage(Reply reply)
    {
        var message = Assert.IsType<ArrayReply>(reply);
        Assert.Equal("message", message.Items[0].Text());
        Assert.Equal("__redis__:invalidate", message.Items[1].Text());
        return Assert.IsType<ArrayReply>(message.Items[2]).Items.Select(static i => i.Text()).ToList();
    }

    [Fact]
    public async Task Reset_AndClose_EndTracking()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Contains("tracking_clients:1", (await admin.SendAsync("INFO", "clients")).Text());
        Assert.Contains("flags=t ", (await tracker.SendAsync("CLIENT", "INFO")).Text());

        Assert.Equal("RESET", (await tracker.SendAsync("RESET")).Text());
        Assert.Equal("-1", (await tracker.SendAsync("CLIENT", "GETREDIR")).Text());
        Assert.Contains("flags=N ", (await tracker.SendAsync("CLIENT", "INFO")).Text());
        Assert.Contains("tracking_clients:0", (await admin.SendAsync("INFO", "clients")).Text());

        await using (var closing = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "BCAST"))
            Assert.Contains("tracking_clients:1", (await admin.SendAsync("INFO", "clients")).Text());
        await WaitUntilAsync(async () => (await admin.SendAsync("INFO", "clients")).Text()!.Contains("tracking_clients:0"));
        Assert.Contains("tracking_total_prefixes:0", (await admin.SendAsync("INFO", "stats")).Text());
    }

    [Fact]
    public async Task TableOverMaxKeys_ForgetsAndInvalidatesTheOldestKeys()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await tracker.SendAsync("GET", "first");
        await tracker.SendAsync("GET", "second");

        Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "1")).Text());
        Assert.Equal(["first"], Invalidated(await tracker.ReadReplyAsync()));
        Assert.Contains("tracking_total_keys:1", (await admin.SendAsync("INFO", "stats")).Text());
    }

    // As in Redis, keys a client remembered stay in the table after it turns tracking off, until they change or a flush
    // empties the table. With no client tracking the applier reported no changes, so a FLUSHALL left them counted
    // (unit/tracking "Tracking info is correct": 3 items of 2) and a later SET invalidated a key read before the flush.
    [Fact]
    public async Task KeysOfAClientThatTurnedTrackingOff_GoWithAFlush_OrWhenTheyChange()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await tracker.SendAsync("GET", "a");
        await tracker.SendAsync("GET", "b");
        Assert.Equal("OK", (await tracker.SendAsync("CLIENT", "TRACKING", "OFF")).Text());
        Assert.Contains("tracking_total_keys:2", (await admin.SendAsync("INFO", "stats")).Text());

        Assert.Equal("OK", await admin.SendRetryingAsync("SET", "a", "1"));
        Assert.Contains("tracking_total_keys:1", (await admin.SendAsync("INFO", "stats")).Text());
        Assert.Equal("OK", (await admin.SendAsync("FLUSHALL")).Text());
        Assert.Contains("tracking_total_keys:0\r\ntracking_total_items:0", (await admin.SendAsync("INFO", "stats")).Text());
    }

    // Redis's lazy expiry deletes an expired key a read finds, and invalidates it. A read here changes nothing, and with
    // the sweeps off (DEBUG SET-ACTIVE-EXPIRE 0) a tracking client was never told (unit/tracking "Tracking invalidation
    // message is not interleaved with multiple keys response" waited for the message).
    [Fact]
    public async Task ARead_ThatFindsAnExpiredKey_InvalidatesItForItsTrackers()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var reader = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await reader.SendAsync("DEBUG", "SET-ACTIVE-EXPIRE", "0")).Text());
        try
        {
            // 1 s from the entry's time: the GET must still find the key after a slow commit on a loaded machine.
            Assert.Equal("OK", await reader.SendRetryingAsync("SET", "k", "v", "PX", "1000"));
            Assert.Equal("v", (await tracker.SendAsync("GET", "k")).Text());
            await Task.Delay(1300);

            var message = tracker.ReadReplyAsync();
            Assert.IsType<NullReply>(await reader.SendAsync("GET", "k"));
            await Task.WhenAny(message, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(message.IsCompleted, "no invalidation of the expired key the read found");
            Assert.Equal(["k"], Invalidated(await message));
            Assert.Contains("tracking_total_keys:0\r\n", (await reader.SendAsync("INFO", "stats")).Text());
        }
        finally
        {
            Assert.Equal("OK", (await reader.SendAsync("DEBUG", "SET-ACTIVE-EXPIRE", "1")).Text());
        }
    }

    // The table read tracking-table-max-keys ten times a second: a read right after the bound was raised again still saw
    // the old bound and evicted (unit/tracking "Test ASYNC flushall" and "Tracking info is correct" counted 1 key of 2).
    [Fact]
    public async Task TableMaxKeys_RaisedByConfigSet_BoundsTheVeryNextRead()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "1")).Text());
            Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "1000000")).Text());
            // The lowered bound's invalidations come ahead of the replies: the GETs' own replies are waited for, so both
            // reads have run before INFO counts (reading a push as a GET's reply let INFO run before them).
            Assert.Null((await SendSkippingPushesAsync(tracker, "GET", $"a{round}")).Text());
            Assert.Null((await SendSkippingPushesAsync(tracker, "GET", $"b{round}")).Text());
            // Both reads stay remembered (the old copy of the bound, still 1, evicted one with the other: 1 key). What was
            // there before is down to the lowered bound, 1 key, or none in the first round.
            var stats = (await admin.SendAsync("INFO", "stats")).Text()!;
            var keys = int.Parse(stats.Split("tracking_total_keys:")[1].Split('\r')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(keys >= 2 && keys <= (round == 0 ? 2 : 3), $"round {round}: {keys} keys remembered");
        }
    }

    // A read that finds a key expired deletes it (lazy expiry, an expiry-sweep entry), which invalidates it once: the read
    // used to invalidate it too, so a broadcast client got the key twice.
    [Fact]
    public async Task ALazilyExpiredKey_IsInvalidatedOnce()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "BCAST");
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await client.SendAsync("DEBUG", "SET-ACTIVE-EXPIRE", "0")).Text());
        Assert.Equal("OK", (await client.SendAsync("PSETEX", "tk", "50", "v")).Text());
        Assert.Equal(["tk"], Invalidated(await tracker.ReadReplyAsync()));
        await Task.Delay(200);

        Assert.Null((await client.SendAsync("GET", "tk")).Text());
        Assert.Equal("0", (await client.SendAsync("DBSIZE")).Text());
        Assert.Equal(["tk"], Invalidated(await tracker.ReadReplyAsync()));
        Assert.Equal("OK", await client.SendRetryingAsync("SET", "other", "1"));
        Assert.Equal(["other"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // Redis's trackingLimitUsedSlots runs before every command as well as in serverCron: with the cron paused (DEBUG
    // PAUSE-CRON), a lowered bound evicts when the next command starts (unit/tracking "Regression test for #11715", which
    // also checks that the tracking client's invalidation comes ahead of that command's reply).
    [Fact]
    public async Task TableMaxKeys_WithTheCronPaused_EvictsWhenTheNextCommandStarts()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("DEBUG", "PAUSE-CRON", "1")).Text());
        try
        {
            await tracker.SendAsync("MGET", "1{tag}", "2{tag}");
            Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "1")).Text());

            // The periodic eviction (ten times a second) waits while paused: nothing reaches the tracking client.
            var early = tracker.ReadReplyAsync();
            await Task.WhenAny(early, Task.Delay(500));
            Assert.False(early.IsCompleted, "the periodic eviction ran with the cron paused");

            // Any command's start evicts: the count a second command reads is the bound's.
            Assert.Equal("PONG", (await admin.SendAsync("PING")).Text());
            Assert.Contains("tracking_total_keys:1\r\n", (await admin.SendAsync("INFO", "stats")).Text());
            Assert.Equal(["1{tag}"], Invalidated(await early));
        }
        finally
        {
            Assert.Equal("OK", (await admin.SendAsync("DEBUG", "PAUSE-CRON", "0")).Text());
        }
    }

    // Redis's "Regression test for #11715": a key evicted as a queued command starts is invalidated before that command's
    // QUEUED. The push went through the session's push loop (a task of its own) and the read loop's next reply often
    // overtook it; a due tracking push is now written ahead of the next reply appended, whichever loop appends it.
    [Fact]
    public async Task AnInvalidationOfAKeyEvictedAsACommandStarts_ComesBeforeThatCommandsReply()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("DEBUG", "PAUSE-CRON", "1")).Text());
        try
        {
            for (var round = 0; round < 20; round++)
            {
                Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "2")).Text());
                await tracker.SendAsync("MGET", "1{tag}", "2{tag}");
                Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
                Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "tracking-table-max-keys", "1")).Text());

                // PING is queued; as it starts, the table is over its bound and evicts a key the tracker read.
                await tracker.SendRawAsync("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nEXEC\r\n"u8.ToArray());
                var first = await tracker.ReadReplyAsync();
                Assert.True(first is PushReply, $"round {round}: {first} came before the invalidation");
                Assert.Single(Invalidated(first));
                Assert.Equal("QUEUED", (await tracker.ReadReplyAsync()).Text());
                Assert.Equal("[+PONG]", (await tracker.ReadReplyAsync()).ToString());
            }
        }
        finally
        {
            Assert.Equal("OK", (await admin.SendAsync("DEBUG", "PAUSE-CRON", "0")).Text());
        }
    }

    // Redis's call(): a script's caller remembers the script's declared keys only when the script calls a read-only
    // command (EVAL_RO itself remembers nothing). The node used to remember them for every script, and sent
    // invalidations Redis does not send (unit/tracking "Tracking only occurs for scripts when a command calls a
    // read-only command", whose extra messages then shifted every later test of the unit).
    [Fact]
    public async Task Script_RemembersItsDeclaredKeys_OnlyWhenItCallsAReadOnlyCommand()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.IsType<NullReply>(await tracker.SendAsync("EVAL", "redis.call('set', 'other', 'bar')", "2", "w1", "w2"));
        Assert.IsType<NullReply>(await tracker.SendAsync("EVAL_RO", "redis.call('ping')", "2", "r1", "r2"));
        Assert.IsType<NullReply>(await tracker.SendAsync("EVALSHA", Sha1("redis.call('set', 'other', 'bar')"), "1", "s1"));
        Assert.Equal("OK", (await writer.SendAsync("MSET", "w1", "1", "w2", "1", "r1", "1", "r2", "1", "s1", "1")).Text());
        Assert.Equal("PONG", (await tracker.SendAsync("PING")).Text());

        Assert.IsType<NullReply>(await tracker.SendAsync("EVAL", "redis.call('get', 'other')", "2", "w1", "w2"));
        Assert.IsType<NullReply>(await tracker.SendAsync("EVAL_RO", "redis.call('get', KEYS[1])", "2", "r1", "r2"));
        Assert.Equal("OK", (await writer.SendAsync("MSET", "w2", "2", "w1", "2", "r2", "2", "r1", "2")).Text());
        var invalidated = new List<string?>();
        while (invalidated.Count < 4)
            invalidated.AddRange(Invalidated(await tracker.ReadReplyAsync()));
        Assert.Equal(["r1", "r2", "w1", "w2"], invalidated.Order(StringComparer.Ordinal));
        Assert.Equal("PONG", (await tracker.SendAsync("PING")).Text());
    }

    [Fact]
    public async Task Function_RemembersItsKeys_OnlyWhenItCallsAReadOnlyCommand()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("tlib", (await writer.SendAsync("FUNCTION", "LOAD",
            "#!lua name=tlib\n"
            + "redis.register_function('tw', function(keys, args) return redis.call('set', 'other', '1') end)\n"
            + "redis.register_function{function_name='tr', callback=function(keys, args) return redis.call('get', 'other') end, flags={'no-writes'}}")).Text());

        Assert.Equal("OK", (await tracker.SendAsync("FCALL", "tw", "1", "f1")).Text());
        Assert.Equal("1", (await tracker.SendAsync("FCALL_RO", "tr", "1", "f2")).Text());
        Assert.Equal("OK", (await writer.SendAsync("MSET", "f1", "1", "f2", "1")).Text());
        Assert.Equal(["f2"], Invalidated(await tracker.ReadReplyAsync()));
        Assert.Equal("PONG", (await tracker.SendAsync("PING")).Text());
    }

    // The keys a script remembered are forgotten (it called no read) only while no later command of the client has
    // started: a GET pipelined behind it remembered the same key, and must keep it.
    [Fact]
    public async Task Script_ThatReadsNothing_KeepsAKeyTheNextPipelinedReadRemembered()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        await tracker.SendRawAsync(System.Text.Encoding.ASCII.GetBytes(
            "*4\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n1\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
        Assert.Equal(1, Assert.IsType<IntegerReply>(await tracker.ReadReplyAsync()).Value);
        Assert.IsType<NullReply>(await tracker.ReadReplyAsync());
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "1"));
        Assert.Equal(["k"], Invalidated(await tracker.ReadReplyAsync()));
    }

    private static string Sha1(string script) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(script)));

    [Theory]
    [InlineData("ERR PREFIX option requires BCAST mode to be enabled", "ON", "PREFIX", "a")]
    [InlineData("ERR OPTIN and OPTOUT are not compatible with BCAST", "ON", "BCAST", "OPTIN")]
    [InlineData("ERR You can't specify both OPTIN mode and OPTOUT mode", "ON", "OPTIN", "OPTOUT")]
    [InlineData("ERR The client ID you want redirect to does not exist", "ON", "REDIRECT", "987654")]
    [InlineData("ERR value is not an integer or out of range", "ON", "REDIRECT", "x")]
    [InlineData("ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a")]
    [InlineData("ERR syntax error", "MAYBE")]
    [InlineData("ERR syntax error", "ON", "FAST")]
    public async Task TrackingCommand_BadOptions_AnswerRedisErrors(string error, params string[] options)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("-" + error, (await client.SendAsync(["CLIENT", "TRACKING", .. options])).Text());
        Assert.Equal("-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
            (await client.SendAsync("CLIENT", "CACHING", "YES")).Text());

        Assert.Equal("OK", (await client.SendAsync("CLIENT", "TRACKING", "ON", "OPTIN")).Text());
        Assert.Equal("-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.", (await client.SendAsync("CLIENT", "CACHING", "NO")).Text());
        Assert.Equal("-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
            (await client.SendAsync("CLIENT", "TRACKING", "ON", "BCAST")).Text());
    }

    // Redis remembers a read inside EXEC when it runs: the transaction's own earlier write of the key sends nothing and
    // the key stays tracked. RaftKV remembered every queued read before the transaction ran, so its own SET sent a spare
    // invalidation (it came before the next reply, which shifted Redis's unit/tracking by one) and forgot the key.
    [Fact]
    public async Task Exec_RemembersAReadWhenItRuns_SoTheTransactionsEarlierWriteSendsNothing_AndALaterChangeDoes()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        await tracker.SendAsync("SET", "k", "1");
        await tracker.SendAsync("GET", "k");
        Assert.Equal("[+OK, $1]", (await tracker.SendAsync("EXEC")).ToString());
        Assert.Equal("PONG", (await tracker.SendAsync("PING")).Text());

        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "k", "2"));
        Assert.Equal(["k"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // A read before a write of the same key inside EXEC: Redis invalidates it (the write comes after the read), after
    // EXEC's reply. A script that calls no read-only command remembers nothing inside EXEC either.
    [Fact]
    public async Task Exec_AWriteAfterAReadOfTheKey_InvalidatesItAfterTheReply_AndAScriptThatReadsNothingRemembersNothing()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        await tracker.SendAsync("GET", "a");
        await tracker.SendAsync("INCR", "a");
        await tracker.SendAsync("EVAL", "return 1", "1", "s");
        await tracker.SendAsync("EVAL", "return redis.call('get', KEYS[1])", "1", "r");
        Assert.Equal("[(nil), :1, :1, (nil)]", (await tracker.SendAsync("EXEC")).ToString());
        Assert.Equal(["a"], Invalidated(await tracker.ReadReplyAsync()));

        // s was never remembered: its change sends nothing, r's comes.
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "s", "1"));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "r", "1"));
        Assert.Equal(["r"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // A script inside EXEC that reads a key and then writes it: Redis remembers the key when the script's read runs, so
    // the script's own write invalidates it. Remembering the script's keys only after it ran missed that invalidation
    // (the client kept the value it read while the key had changed after the read).
    [Fact]
    public async Task Exec_AScriptThatReadsThenWritesItsKey_InvalidatesIt()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        Assert.Equal("OK", await tracker.SendRetryingAsync("SET", "sk", "old"));

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        await tracker.SendAsync("EVAL", "local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'new') return v", "1", "sk");
        Assert.Equal("[$old]", (await tracker.SendAsync("EXEC")).ToString());
        Assert.Equal(["sk"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // NOLOOP inside EXEC: the mark of the transaction's own SET of a key it had not read yet lasted until EXEC's reply,
    // so another client's change made meanwhile (here during a DEBUG SLEEP run after the entry applied) used it up and
    // was not sent, though the transaction's GET had remembered the key. A write's marks now end at its step.
    [Fact]
    public async Task Exec_NoLoop_AnotherClientsChangeAfterTheTransactionRead_IsInvalidated()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "NOLOOP");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        await tracker.SendAsync("SET", "n", "1");
        await tracker.SendAsync("GET", "n");
        await tracker.SendAsync("DEBUG", "SLEEP", "5");
        var exec = tracker.SendAsync("EXEC");
        await WaitUntilAsync(async () => (await writer.SendAsync("GET", "n")).Text() == "1");
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "n", "2"));
        // Else the change came after EXEC's reply, where the marks have ended anyway, and the case was not checked.
        Assert.False(exec.IsCompleted, "the other client's SET was answered after EXEC's reply (a 5 s DEBUG SLEEP window missed)");
        Assert.Equal("[+OK, $1, +OK]", (await exec).ToString());
        Assert.Equal(["n"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // NOLOOP on a relayed EXEC (its reads remembered before it is sent): its own SET of a key it then reads used up the
    // mark, sent nothing and forgot the key, which the GET did not remember again: the client held the value untracked.
    // The marks of keys the transaction also reads now end before it is sent, so its own write invalidates the key.
    [Fact]
    public async Task Exec_NoLoop_OnAFollower_AKeyTheTransactionWritesThenReads_IsNotLeftUntracked()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var tracker = await TrackingClientAsync(follower.RespPort, "CLIENT", "TRACKING", "ON", "NOLOOP");

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        await tracker.SendAsync("SET", "fr", "1");
        await tracker.SendAsync("GET", "fr");
        // Run by the leader after the entry applied: the follower applies it while EXEC's reply (and its marks) wait.
        await tracker.SendAsync("DEBUG", "SLEEP", "1");
        var exec = await tracker.SendAsync("EXEC");
        Assert.True(exec.ToString() == "[+OK, $1, +OK]", $"EXEC answered {exec}");
        // Another client's write, again while CLUSTERDOWN (once failed in CI: an election under load).
        await using (var writer = await RespTestClient.ConnectAsync(leader.RespPort))
            Assert.Equal("OK", await writer.SendRetryingAsync("SET", "fr", "2"));
        Assert.Equal(["fr"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // NOLOOP: a queued write that never runs (its error kept at queue time) kept its own-write mark until EXEC's reply,
    // so another client's change made meanwhile was taken for it and not sent, though the transaction's GET had
    // remembered the key. A command EXEC does not put into its entry ends its marks before the transaction is sent.
    [Fact]
    public async Task Exec_NoLoop_AQueuedWriteThatNeverRuns_DoesNotSwallowAnotherClientsChange()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON", "NOLOOP");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "q", "1"));

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await tracker.SendAsync("INCRBY", "q", "abc")).Text());
        await tracker.SendAsync("GET", "q");
        await tracker.SendAsync("DEBUG", "SLEEP", "5");
        var exec = tracker.SendAsync("EXEC");
        // The transaction's GET has run (its key is the table's only one) and EXEC's reply waits for the DEBUG SLEEP.
        await WaitUntilAsync(async () => (await writer.SendAsync("INFO", "stats")).Text()!.Contains("tracking_total_keys:1\r\n", StringComparison.Ordinal));
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "q", "2"));
        // Else the change came after EXEC's reply, where the mark has ended anyway, and the case was not checked.
        Assert.False(exec.IsCompleted, "the other client's SET was answered after EXEC's reply (a 5 s DEBUG SLEEP window missed)");
        Assert.StartsWith("[-ERR value is not an integer", (await exec).ToString(), StringComparison.Ordinal);
        Assert.Equal(["q"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // A pub/sub message and an invalidation reach a client in the order they were produced (Redis adds both to its
    // output buffer then): a due invalidation is written ahead of the next reply, and the messages queued before it go
    // with it. Queued apart, the invalidation passed the message in about a third of the rounds.
    [Fact]
    public async Task APubSubMessage_AndAnInvalidationProducedAfterIt_ArriveInThatOrder()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(node.RespPort, "CLIENT", "TRACKING", "ON");
        await using var writer = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.IsType<PushReply>(await tracker.SendAsync("SUBSCRIBE", "chan"));
        for (var round = 0; round < 20; round++)
        {
            var key = $"po{round}";
            Assert.Equal("OK", await writer.SendRetryingAsync("SET", key, "1"));
            Assert.Equal("1", (await tracker.SendAsync("GET", key)).Text());
            Assert.Equal("OK", (await writer.SendAsync("MULTI")).Text());
            await writer.SendAsync("PUBLISH", "chan", $"m{round}");
            await writer.SendAsync("SET", key, "2");
            Assert.IsType<ArrayReply>(await writer.SendAsync("EXEC"));
            var first = Assert.IsType<PushReply>(await tracker.ReadReplyAsync());
            Assert.True(first.Items[0].Text() == "message", $"round {round}: {first} came before the message");
            Assert.Equal([key], Invalidated(await tracker.ReadReplyAsync()));
        }
    }

    // An EXEC relayed by a follower: the follower's applier cannot tell which entry is the transaction, so its reads are
    // remembered before it is sent (a spare invalidation at worst); without that the key was never tracked there.
    [Fact]
    public async Task Exec_OnAFollower_RemembersItsReads_SoALaterChangeIsInvalidated()
    {
        await using var cluster = await TestCluster.StartAsync(3, TestCluster.SlowElections());
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var writer = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "f", "1"));

        await using var tracker = await TrackingClientAsync(follower.RespPort, "CLIENT", "TRACKING", "ON");
        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        await tracker.SendAsync("GET", "f");
        var exec = await tracker.SendAsync("EXEC");
        Assert.True(exec.ToString() == "[$1]", $"EXEC answered {exec}");
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "f", "2"));
        Assert.Equal(["f"], Invalidated(await tracker.ReadReplyAsync()));
    }

    // An EXEC whose entry waits behind a suspended script applies later without its context: its reads are remembered
    // when it is deferred, before it runs; without that the key was never tracked.
    [Fact]
    public async Task Exec_DeferredBehindALongScript_RemembersItsReads_SoALaterChangeIsInvalidated()
    {
        await using var cluster = await TestCluster.StartAsync(1, new() { ["CommandTimeoutMs"] = "120000" });
        var leader = await cluster.WaitForLeaderAsync();
        await using var tracker = await TrackingClientAsync(leader.RespPort, "CLIENT", "TRACKING", "ON");
        await using var scripter = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var writer = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "d", "1"));

        const string longScript = "local n = 0 for i = 1, 12000000 do n = (n * 31 + i) % 1000003 end return n";
        var running = scripter.SendAsync("EVAL", longScript, "0");
        for (var i = 0; i < 2000 && leader.Raft.StateMachine.Suspension is null; i++)
            await Task.Delay(5);
        Assert.NotNull(leader.Raft.StateMachine.Suspension);

        Assert.Equal("OK", (await tracker.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await tracker.SendAsync("GET", "d")).Text());
        var exec = tracker.SendAsync("EXEC");
        Assert.IsType<IntegerReply>(await running.WaitAsync(TimeSpan.FromSeconds(110)));
        Assert.Equal("[$1]", (await exec.WaitAsync(TimeSpan.FromSeconds(30))).ToString());
        Assert.Equal("OK", await writer.SendRetryingAsync("SET", "d", "2"));
        Assert.Equal(["d"], Invalidated(await tracker.ReadReplyAsync()));
    }

    private static async Task<RespTestClient> TrackingClientAsync(int port, params string[] tracking)
    {
        var client = await RespTestClient.ConnectAsync(port);
        Assert.IsType<MapReply>(await client.SendAsync("HELLO", "3"));
        Assert.Equal("OK", (await client.SendAsync(tracking)).Text());
        return client;
    }

    /// <summary>Sends a command and returns its reply, reading past the pushes (invalidations) that come before it.</summary>
    private static async Task<Reply> SendSkippingPushesAsync(RespTestClient client, params string[] command)
    {
        var reply = await client.SendAsync(command);
        while (reply is PushReply)
            reply = await client.ReadReplyAsync();
        return reply;
    }

    /// <summary>The keys of an invalidate push.</summary>
    private static List<string?> Invalidated(Reply reply)
    {
        var push = Assert.IsType<PushReply>(reply);
        Assert.Equal("invalidate", push.Items[0].Text());
        return Assert.IsType<ArrayReply>(push.Items[1]).Items.Select(static i => i.Text()).ToList();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(50);
        }
    }
}
