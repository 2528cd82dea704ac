using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// ACL LOG through a real node, as Redis 7.0's unit/acl checks it (those tests need a server the suite starts itself, so
/// the suite cannot run them against RaftKV): refused commands, subcommands, keys and channels at top level and in a
/// transaction, failed authentication, grouping of like events, RESET, the count argument and acllog-max-len. Before
/// this, ACL LOG answered an empty list whatever was refused.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AclLogTests
{
    [Fact]
    public async Task RefusedCommandsKeysAndChannels_AreLogged_WithTheirContext_AndLikeEventsCountOnOneEntry()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await using var user = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "antirez", ">foo", "on", "+set", "~object:1234", "+eval", "+multi", "+exec", "resetchannels", "+publish")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "demo", "on", "nopass")).Text());
        Assert.Equal("OK", (await user.SendAsync("AUTH", "antirez", "foo")).Text());

        StartsWith("NOPERM", await user.SendAsync("GET", "foo"));
        var entry = await NewestAsync(admin);
        Assert.Equal(("antirez", "toplevel", "command", "get", 1L), (entry["username"], entry["context"], entry["reason"], entry["object"], entry.Count));
        Assert.Contains($"user=antirez", entry["client-info"], StringComparison.Ordinal);

        StartsWith("NOPERM", await user.SendAsync("GET", "foo"));
        StartsWith("NOPERM", await user.SendAsync("GET", "foo"));
        Assert.Equal(3L, (await NewestAsync(admin)).Count);

        StartsWith("NOPERM", await user.SendAsync("SET", "somekeynotallowed", "1234"));
        entry = await NewestAsync(admin);
        Assert.Equal(("key", "somekeynotallowed"), (entry["reason"], entry["object"]));

        StartsWith("NOPERM", await user.SendAsync("PUBLISH", "somechannelnotallowed", "nullmsg"));
        entry = await NewestAsync(admin);
        Assert.Equal(("channel", "somechannelnotallowed"), (entry["reason"], entry["object"]));

        // In a transaction: refused when queued, and at EXEC once the rules changed meanwhile.
        Assert.Equal("OK", (await user.SendAsync("MULTI")).Text());
        StartsWith("NOPERM", await user.SendAsync("INCR", "foo"));
        StartsWith("EXECABORT", await user.SendAsync("EXEC"));
        entry = await NewestAsync(admin);
        Assert.Equal(("multi", "command", "incr"), (entry["context"], entry["reason"], entry["object"]));
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "antirez", "+incr")).Text());
        Assert.Equal("OK", (await user.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await user.SendAsync("INCR", "object:1234")).Text());
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "antirez", "-incr")).Text());
        Assert.IsType<ArrayReply>(await user.SendAsync("EXEC"));
        entry = await NewestAsync(admin);
        Assert.Equal(("multi", "incr", 2L), (entry["context"], entry["object"], entry.Count));

        // A subcommand is logged by its full name.
        Assert.Equal("OK", (await user.SendAsync("AUTH", "demo", "x")).Text());
        StartsWith("NOPERM", await user.SendAsync("SCRIPT", "HELP"));
        entry = await NewestAsync(admin);
        Assert.Equal(("demo", "command", "script|help"), (entry["username"], entry["reason"], entry["object"]));

        // The count argument, then RESET.
        var all = Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG"));
        Assert.Equal(5, all.Items.Count); // get, the key, the channel, incr in a transaction (twice), script|help
        Assert.Equal(2, Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG", "2")).Items.Count);
        Assert.Equal("OK", (await admin.SendAsync("ACL", "LOG", "RESET")).Text());
        Assert.Empty(Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG")).Items);
    }

    [Fact]
    public async Task FailedAuthentication_IsLoggedWithTheUserTried_AndTheLogKeepsAtMostAcllogMaxLenEntries()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(node.RespPort);
        await using var user = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "antirez", ">foo", "on", "+set", "~object:1234")).Text());

        StartsWith("WRONGPASS", await user.SendAsync("AUTH", "antirez", "wrong-password"));
        var entry = await NewestAsync(admin);
        Assert.Equal(("toplevel", "auth", "AUTH", "antirez"), (entry["context"], entry["reason"], entry["object"], entry["username"]));
        StartsWith("WRONGPASS", await user.SendAsync("HELLO", "2", "AUTH", "nobody", "pw"));
        entry = await NewestAsync(admin);
        Assert.Equal(("auth", "HELLO", "nobody"), (entry["reason"], entry["object"], entry["username"]));

        // AUTH queued in MULTI runs at EXEC, still in the transaction's context (it was logged as toplevel).
        Assert.Equal("OK", (await user.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await user.SendAsync("AUTH", "antirez", "wrong")).Text());
        Assert.IsType<ArrayReply>(await user.SendAsync("EXEC"));
        entry = await NewestAsync(admin);
        Assert.Equal(("multi", "auth", "antirez"), (entry["context"], entry["reason"], entry["username"]));

        Assert.Equal("OK", (await admin.SendAsync("ACL", "LOG", "RESET")).Text());
        Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "acllog-max-len", "5")).Text());
        Assert.Equal("OK", (await user.SendAsync("AUTH", "antirez", "foo")).Text());
        for (var j = 0; j < 10; j++)
            StartsWith("NOPERM", await user.SendAsync("SET", $"obj:{j}", "123"));
        var entries = Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG")).Items;
        Assert.Equal(["obj:9", "obj:8", "obj:7", "obj:6", "obj:5"], entries.Select(e => Fields(e)["object"]));
    }

    // Redis's "ACL can log errors in the context of Lua scripting": a command a script calls that the user may not run is
    // logged with context lua, by the node whose client sent the script (every replica runs it at apply), also inside
    // EXEC and for a read-only script run on the leader.
    [Fact]
    public async Task ARefusalInsideAScript_IsLoggedWithContextLua_AloneInExecAndInAReadOnlyScript()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var user = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "antirez", ">foo", "on", "+set", "~object:1234", "+eval", "+eval_ro", "+multi", "+exec", "+get")).Text());
        Assert.Equal("OK", (await user.SendAsync("AUTH", "antirez", "foo")).Text());

        StartsWith("ERR The user executing the script can't run this command", await user.SendAsync("EVAL", "redis.call('incr','foo')", "0"));
        var entry = await NewestAsync(admin);
        Assert.Equal(("antirez", "lua", "command", "incr"), (entry["username"], entry["context"], entry["reason"], entry["object"]));

        Assert.Equal("OK", (await user.SendAsync("MULTI")).Text());
        Assert.Equal("QUEUED", (await user.SendAsync("EVAL", "return redis.pcall('set', 'object:other', '1')", "0")).Text());
        Assert.IsType<ArrayReply>(await user.SendAsync("EXEC"));
        entry = await NewestAsync(admin);
        Assert.Equal(("lua", "key", "object:other"), (entry["context"], entry["reason"], entry["object"]));

        Assert.IsType<ErrorReply>(await user.SendAsync("EVAL_RO", "return redis.call('get', 'elsewhere')", "0"));
        entry = await NewestAsync(admin);
        Assert.Equal(("lua", "key", "elsewhere"), (entry["context"], entry["reason"], entry["object"]));

        // A script refused in a loop: one entry counting every refusal (kept as one item while the script runs).
        Assert.Equal("OK", (await admin.SendAsync("ACL", "LOG", "RESET")).Text());
        Assert.Equal(1000, Assert.IsType<IntegerReply>(await user.SendAsync("EVAL", "local n = 0 for i = 1, 1000 do if redis.pcall('incr', 'foo').err then n = n + 1 end end return n", "0")).Value);
        entry = await NewestAsync(admin);
        Assert.Equal(("lua", "incr", 1000L), (entry["context"], entry["object"], entry.Count));
        Assert.Single(Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG")).Items);

        // The followers applied the same scripts: their logs stay empty.
        await cluster.WaitForConvergenceAsync();
        foreach (var follower in cluster.Nodes.Where(n => n.Index != leader.Index))
        {
            await using var client = await RespTestClient.ConnectAsync(follower.RespPort);
            Assert.Empty(Assert.IsType<ArrayReply>(await client.SendAsync("ACL", "LOG")).Items);
        }
    }

    // Redis's "For unauthenticated clients multibulk and bulk length are limited" (unit/auth, which needs a server the
    // suite starts itself): while a client must authenticate, at most 10 arguments of at most 16 KB. Without the limit, 8
    // failed AUTHs with 32 MiB user names held 609 MiB on a node (kept by the ACL LOG).
    [Fact]
    public async Task BeforeAuth_RequestsAreSmall_AsInRedis_AndAfterItTheyAreNot()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using (var admin = await RespTestClient.ConnectAsync(node.RespPort))
            Assert.Equal("OK", (await admin.SendAsync("CONFIG", "SET", "requirepass", "s3cret")).Text());

        await using (var many = await RespTestClient.ConnectAsync(node.RespPort))
        {
            await many.SendRawAsync("*100\r\n"u8.ToArray());
            Assert.Equal("ERR Protocol error: unauthenticated multibulk length", Assert.IsType<ErrorReply>(await many.ReadReplyAsync()).Message);
            Assert.True(await many.IsClosedByServerAsync());
        }

        await using (var big = await RespTestClient.ConnectAsync(node.RespPort))
        {
            await big.SendRawAsync("*1\r\n$100000000\r\n"u8.ToArray());
            Assert.Equal("ERR Protocol error: unauthenticated bulk length", Assert.IsType<ErrorReply>(await big.ReadReplyAsync()).Message);
            Assert.True(await big.IsClosedByServerAsync());
        }

        await using var user = await RespTestClient.ConnectAsync(node.RespPort);
        Assert.StartsWith("WRONGPASS", Assert.IsType<ErrorReply>(await user.SendAsync("AUTH", new string('u', 16 * 1024), "x")).Message, StringComparison.Ordinal);
        Assert.Equal("OK", (await user.SendAsync("AUTH", "s3cret")).Text());
        var value = new string('v', 100_000);
        Assert.Equal("OK", await user.SendRetryingAsync("SET", "large", value));
        Assert.Equal(value, (await user.SendAsync("GET", "large")).Text());
        Assert.Equal(12, Assert.IsType<ArrayReply>(await user.SendAsync("MGET", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")).Items.Count);
    }

    [Fact]
    public async Task ARefusalOnAFollower_IsLoggedThere_AndNotOnTheLeader()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n.Index != leader.Index);
        await using var admin = await RespTestClient.ConnectAsync(leader.RespPort);
        Assert.Equal("OK", (await admin.SendAsync("ACL", "SETUSER", "reader", ">pw", "on", "+get", "+multi", "+exec", "~*")).Text());
        await cluster.WaitForConvergenceAsync();
        await using var user = await RespTestClient.ConnectAsync(follower.RespPort);
        await using var followerAdmin = await RespTestClient.ConnectAsync(follower.RespPort);
        Assert.Equal("OK", (await user.SendAsync("AUTH", "reader", "pw")).Text());

        StartsWith("NOPERM", await user.SendAsync("SET", "k", "v"));
        Assert.Equal(("reader", "set"), ((await NewestAsync(followerAdmin))["username"], (await NewestAsync(followerAdmin))["object"]));
        Assert.Empty(Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG")).Items);
    }

    private static void StartsWith(string prefix, Reply reply) =>
        Assert.True(reply is ErrorReply { Message: var message } && message.StartsWith(prefix, StringComparison.Ordinal), $"expected {prefix}..., got {reply}");

    private sealed class Entry(Dictionary<string, string> fields, long count)
    {
        public long Count { get; } = count;

        public string this[string name] => fields[name];
    }

    private static async Task<Entry> NewestAsync(RespTestClient admin)
    {
        var log = Assert.IsType<ArrayReply>(await admin.SendAsync("ACL", "LOG", "1"));
        var fields = Fields(Assert.Single(log.Items));
        return new Entry(fields, long.Parse(fields["count"], System.Globalization.CultureInfo.InvariantCulture));
    }

    // An entry as RESP2 sends a map (a flat array of names and values) or as RESP3 does.
    private static Dictionary<string, string> Fields(Reply entry)
    {
        var pairs = entry switch
        {
            MapReply map => map.Entries.Select(static e => (e.Key, e.Value)).ToList(),
            ArrayReply array => array.Items.Chunk(2).Select(static p => (p[0], p[1])).ToList(),
            _ => throw new InvalidOperationException($"not an entry: {entry}"),
        };
        Assert.Equal(7, pairs.Count);
        return pairs.ToDictionary(static p => p.Item1.Text()!, static p => p.Item2 is IntegerReply i ? i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : p.Item2.Text() ?? "");
    }
}
