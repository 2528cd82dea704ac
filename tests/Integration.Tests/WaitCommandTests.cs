using System.Diagnostics;
using RaftKV.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace RaftKV.Integration.Tests;

/// <summary>
/// WAIT numreplicas timeout, as Redis 7.0 answers it: how many followers hold the writes acknowledged so far, waiting
/// up to the timeout for numreplicas of them; a paused follower is not counted for writes after it stopped (it is for
/// those it confirmed before), a blocked WAIT counts in blocked_clients, ends when the follower catches up or by CLIENT
/// UNBLOCK, and does not wait inside EXEC.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class WaitCommandTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Wait_CountsTheFollowersHoldingTheWrites_NotAPausedOne_AndEndsWhenItCatchesUpOrIsUnblocked()
    {
        await using var cluster = await ProcessCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Long);
        var followers = cluster.Nodes.Where(n => n != leader).ToList();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{leader.Endpoint},syncTimeout=60000,asyncTimeout=60000,allowAdmin=true");
        var db = redis.GetDatabase();

        // A follower that confirmed it holds the writes still counts once it stops answering, as Redis counts a replica's
        // acknowledged offset. Claimed when both WAITs ask about one commit index (unchanged from before the first to
        // after the second): an entry of a new leader's own (lock leases, the cluster secret) may commit in between
        // after a slow start; then again.
        for (var attempt = 1; ; attempt++)
        {
            await db.StringSetAsync("wait-key", "1");
            var before = await CommitIndexAsync(db);
            Assert.Equal(2, (long)await db.ExecuteAsync("WAIT", 2, 30000));
            long counted;
            followers[1].Signal(pause: true);
            try
            {
                counted = (long)await db.ExecuteAsync("WAIT", 2, 1000);
            }
            finally
            {
                followers[1].Signal(pause: false);
            }

            if (await CommitIndexAsync(db) == before || attempt == 5)
            {
                Assert.Equal(2, counted);
                break;
            }
        }

        Assert.StartsWith(":2\r\n", await RawResp.TryCommandAsync(followers[0].RespPort, Long, "WAIT", "2", "30000"));
        Assert.StartsWith(":1\r\n", await RawResp.TryCommandAsync(leader.RespPort, Long, "WAIT", "1", "9223372036854775807"));
        Assert.StartsWith("-ERR value is not an integer or out of range", await RawResp.TryCommandAsync(leader.RespPort, Long, "WAIT", "x", "1"));
        Assert.StartsWith("-ERR timeout is negative", await RawResp.TryCommandAsync(leader.RespPort, Long, "WAIT", "1", "-1"));

        // More replicas than there are: it waits out its timeout, as Redis does, and counts those that hold the writes.
        var clock = Stopwatch.StartNew();
        Assert.Equal(2, (long)await db.ExecuteAsync("WAIT", 5, 1000));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"WAIT 5 1000 answered after {clock.Elapsed}");

        // A timeout past what a timer takes waits for ever (no internal error); CLIENT UNBLOCK answers the count so far.
        var huge = RawResp.TryCommandAsync(leader.RespPort, Long, "WAIT", "3", "9223372036854775807");
        var hugeId = await WaitingClientIdAsync(db, blocked: true);
        Assert.Equal(1, (long)await db.ExecuteAsync("CLIENT", "UNBLOCK", hugeId!));
        // The count so far: at least the one member every acknowledged write is on; the second once its answer to this
        // WAIT's question has come (on a loaded machine it may come after the unblock).
        Assert.Matches("^:[12]\r\n", await huge);

        var paused = followers[1];
        paused.Signal(pause: true);
        try
        {
            await db.StringSetAsync("wait-key", "2");
            clock.Restart();
            Assert.Equal(1, (long)await db.ExecuteAsync("WAIT", 2, 1000));
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"WAIT 2 1000 answered after {clock.Elapsed}");
            Assert.Equal(1, (long)await db.ExecuteAsync("WAIT", 1, 1000));

            // Inside EXEC it does not wait: on the leader, and relayed by the follower that runs.
            foreach (var node in new[] { leader, followers[0] })
            {
                var exec = await RawResp.ExchangeAsync(node.RespPort, "MULTI\r\nSET wait-key 3\r\nWAIT 2 0\r\nEXEC\r\nQUIT\r\n"u8.ToArray(), Long);
                Assert.Contains("*2\r\n+OK\r\n:1\r\n", System.Text.Encoding.ASCII.GetString(exec), StringComparison.Ordinal);
            }

            // Relayed by the follower that runs, a WAIT for both counts as blocked there and CLIENT UNBLOCK there ends it.
            await using (var onFollower = await ConnectionMultiplexer.ConnectAsync($"{followers[0].Endpoint},allowAdmin=true,syncTimeout=60000,asyncTimeout=60000"))
            {
                var followerDb = onFollower.GetDatabase();
                var relayed = RawResp.TryCommandAsync(followers[0].RespPort, Long, "WAIT", "2", "0");
                var relayedId = await WaitingClientIdAsync(followerDb, blocked: true);
                Assert.Equal(1, (long)await followerDb.ExecuteAsync("CLIENT", "UNBLOCK", relayedId!));
                Assert.StartsWith(":0\r\n", await relayed);
                await WaitingClientIdAsync(db, blocked: false);
            }

            // A WAIT for both blocks (blocked_clients) until CLIENT UNBLOCK answers it with the count so far.
            var unblocked = RawResp.TryCommandAsync(leader.RespPort, Long, "WAIT", "2", "0");
            var id = await WaitingClientIdAsync(db, blocked: true);
            Assert.Equal(1, (long)await db.ExecuteAsync("CLIENT", "UNBLOCK", id!));
            Assert.StartsWith(":1\r\n", await unblocked);

            // A WAIT whose client goes away stops waiting (it no longer counts as blocked).
            using (var gone = new System.Net.Sockets.TcpClient())
            {
                await gone.ConnectAsync("127.0.0.1", leader.RespPort);
                await gone.GetStream().WriteAsync("WAIT 2 0\r\n"u8.ToArray());
                await WaitingClientIdAsync(db, blocked: true);
            }

            await WaitingClientIdAsync(db, blocked: false);

            // And one that waits for both ends when the paused follower catches up.
            var waiting = RawResp.TryCommandAsync(leader.RespPort, Long, "WAIT", "2", "0");
            await WaitingClientIdAsync(db, blocked: true);
            Assert.False(waiting.IsCompleted);
            paused.Signal(pause: false);
            Assert.StartsWith(":2\r\n", await waiting);
        }
        finally
        {
            paused.Signal(pause: false);
        }
    }

    private static async Task<long> CommitIndexAsync(IDatabase db) =>
        InfoFields.Long((string?)await db.ExecuteAsync("INFO", "raft"), "raft_commit_index");

    // With blocked: the id of the client blocked in WAIT, once INFO counts it as blocked; without: null once none is.
    private static async Task<long?> WaitingClientIdAsync(IDatabase db, bool blocked)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var info = (string?)await db.ExecuteAsync("INFO", "clients") ?? "";
            var list = (string?)await db.ExecuteAsync("CLIENT", "LIST") ?? "";
            var line = list.Split('\n').FirstOrDefault(static l => l.Contains("cmd=wait ", StringComparison.Ordinal) && l.Contains("flags=b", StringComparison.Ordinal));
            if (blocked && info.Contains("blocked_clients:1", StringComparison.Ordinal) && line is not null)
                return long.Parse(line.Split(' ')[0]["id=".Length..], System.Globalization.CultureInfo.InvariantCulture);
            if (!blocked && info.Contains("blocked_clients:0", StringComparison.Ordinal) && line is null)
                return null;
            Assert.True(DateTime.UtcNow < deadline, $"blocked in WAIT should be {blocked}: {info} {list}");
            await Task.Delay(50);
        }
    }
}
