using System.Text;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// CONFIG SET as replicated state: checked where it is received, relayed by a follower, applied by every node, and
/// driving the encodings; CLIENT REPLY and FUNCTION as Redis 7.0 answers them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConfigCommandTests
{
    [Fact]
    public async Task ConfigSetOnFollower_IsAppliedOnEveryNode_AndDrivesEncodings()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);

        await using (var client = await RespTestClient.ConnectAsync(follower.RespPort))
        {
            // A name and its alias in one CONFIG SET are no duplicate in Redis 7.0: the later one wins.
            Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "hash-max-listpack-entries", "7", "HASH-MAX-ZIPLIST-ENTRIES", "0", "maxmemory", "2gb")).Text());
            Assert.Equal("1", (await client.SendAsync("HSET", "h", "f", "v")).Text());
        }

        await cluster.WaitForConvergenceAsync();
        foreach (var node in cluster.Nodes)
        {
            await using var client = await RespTestClient.ConnectAsync(node.RespPort);
            var reply = (await client.SendAsync("CONFIG", "GET", "hash-max-*-entries", "maxmemory")).Text()!;
            Assert.Contains("hash-max-listpack-entries", reply);
            Assert.Contains("hash-max-ziplist-entries", reply);
            Assert.DoesNotContain("$512", reply);
            Assert.Contains("$maxmemory, $2147483648", reply);
            Assert.Equal("hashtable", (await client.SendAsync("OBJECT", "ENCODING", "h")).Text());
        }
    }

    [Fact]
    public async Task ConfigSet_Refusals_UseRedisWords_AndChangeNothing()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("-ERR Unknown option or number of arguments for CONFIG SET - 'nope'",
            (await client.SendAsync("CONFIG", "SET", "timeout", "5", "nope", "1")).Text());
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'zset-max-ziplist-value') - argument must be a memory value",
            (await client.SendAsync("CONFIG", "SET", "timeout", "5", "zset-max-ziplist-value", "big")).Text());
        Assert.StartsWith("-ERR CONFIG SET failed (possibly related to argument 'port') - ",
            (await client.SendAsync("CONFIG", "SET", "port", "1")).Text());
        Assert.Equal("[$timeout, $0]", (await client.SendAsync("CONFIG", "GET", "timeout")).Text());
        Assert.Equal($"[$port, ${node.RespPort}]", (await client.SendAsync("CONFIG", "GET", "port")).Text());
    }

    [Fact]
    public async Task ConfigSet_OfThisNodesOwnSettings_ToTheirCurrentValue_IsAccepted()
    {
        // Redis's "CONFIG sanity" test sets every parameter CONFIG GET * reports to the value it reports.
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        var bind = (await client.SendAsync("CONFIG", "GET", "bind")).Text()!;
        var host = bind[(bind.IndexOf(", $", StringComparison.Ordinal) + 3)..^1];
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "port", node.RespPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "bind", host, "timeout", "7")).Text());
        Assert.Equal("[$timeout, $7]", (await client.SendAsync("CONFIG", "GET", "timeout")).Text());
        Assert.Equal("OK", (await client.SendAsync("CONFIG", "SET", "bind", host)).Text());
        Assert.StartsWith("-ERR CONFIG SET failed (possibly related to argument 'bind') - ",
            (await client.SendAsync("CONFIG", "SET", "timeout", "8", "bind", "10.9.8.7")).Text());
        Assert.Equal("[$timeout, $7]", (await client.SendAsync("CONFIG", "GET", "timeout")).Text());
    }

    [Fact]
    public async Task ClientReply_OffAndSkip_DropReplies_AsRedisDoes()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        await client.SendRawAsync(Encoding.ASCII.GetBytes(
            "CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\nCLIENT REPLY OFF\r\nINCR a\r\nPING\r\nCLIENT REPLY ON\r\nGET a\r\n"));
        Assert.Equal("1", (await client.ReadReplyAsync()).Text());
        Assert.Equal("OK", (await client.ReadReplyAsync()).Text());
        Assert.Equal("2", (await client.ReadReplyAsync()).Text());
    }

    [Fact]
    public async Task Function_WithNoLibraries_AnswersAsRedis()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(node.RespPort);

        Assert.Equal("OK", (await client.SendAsync("FUNCTION", "FLUSH", "ASYNC")).Text());
        Assert.Equal("[]", (await client.SendAsync("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "x*")).Text());
        Assert.Equal("-ERR Library not found", (await client.SendAsync("FUNCTION", "DELETE", "lib")).Text());
        Assert.Equal("-ERR Function not found", (await client.SendAsync("FCALL", "f", "0")).Text());
        var dump = (Protocol.Replies.BulkReply)await client.SendAsync("FUNCTION", "DUMP");
        // redis-server 7.0.15's FUNCTION DUMP with no libraries: RDB version 10 and its CRC-64.
        Assert.Equal("0A005D9B5C400F7FA2DA", Convert.ToHexString(dump.Value));
        Assert.Equal("OK", (await client.SendAsync([Encoding.ASCII.GetBytes("FUNCTION"), Encoding.ASCII.GetBytes("RESTORE"), dump.Value])).Text());
        Assert.Equal("-ERR No functions registered", (await client.SendAsync("FUNCTION", "LOAD", "#!lua name=l\nreturn 1")).Text());
    }
}
