using System.Diagnostics;
using System.Text;
using RaftKV.Differential.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RaftKV.Differential.Tests;

/// <summary>
/// ACL users, AUTH and HELLO AUTH against redis-server 7.0.15 in one run (Acl/acl-session.txt): the same commands on
/// several connections give the same replies, ACL SETUSER/GETUSER/LIST/CAT/DRYRUN/WHOAMI/DELUSER and the NOPERM,
/// NOAUTH and WRONGPASS errors that follow. RaftKV's "admin" connection is to the leader and the others to followers;
/// after each admin command the followers are let catch up (a connection opened later must see its effect, as on Redis).
/// Where Redis's output depends on its hash-table order (single-command rules in descriptions, ACL CAT of a category)
/// the comparison ignores that order; RaftKV's own commands (and SENTINEL, which RaftKV serves and Redis only in sentinel mode) are left out of ACL CAT; GENPASS is compared by length and
/// HELLO by success.
/// </summary>
public sealed class AclDifferentialTests(Servers servers, ITestOutputHelper output) : IClassFixture<Servers>
{
    [Fact]
    public void AclSession_RepliesAsRedisDoes()
    {
        var redis = new Dictionary<string, RespConnection>(StringComparer.Ordinal);
        var raftkv = new Dictionary<string, RespConnection>(StringComparer.Ordinal);
        var followers = servers.NodePorts.Where(p => p != servers.LeaderPort).ToList();
        var mismatches = new List<string>();
        // Opened before any password is set, so they stay signed in as the default user, as Redis keeps such connections.
        var probes = servers.NodePorts.ToDictionary(static p => p, RespConnection.Connect);
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Acl", "acl-session.txt"))
            .Where(static l => l.Length > 0 && !l.StartsWith('#')).ToList();
        try
        {
            foreach (var line in lines)
            {
                var separator = line.IndexOf("> ", StringComparison.Ordinal);
                var name = line[..separator];
                var command = ScriptLine.Split(line[(separator + 2)..]);
                if (!redis.TryGetValue(name, out var expectedConnection))
                {
                    redis[name] = expectedConnection = RespConnection.Connect(servers.RedisPort);
                    var port = name == "admin" ? servers.LeaderPort : followers[raftkv.Count % followers.Count];
                    raftkv[name] = RespConnection.Connect(port);
                }

                var expected = Normalize(command, expectedConnection.ExecuteMany([command])[0]);
                var actual = Normalize(command, raftkv[name].ExecuteMany([command])[0]);
                if (expected != actual)
                    mismatches.Add($"{line}\n  redis:  {expected}\n  raftkv: {actual}");
                if (name == "admin")
                    WaitForFollowers(probes);
            }
        }
        finally
        {
            foreach (var connection in redis.Values.Concat(raftkv.Values).Concat(probes.Values))
                connection.Dispose();
        }

        output.WriteLine($"{lines.Count} commands compared");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    /// <summary>Waits until every follower has applied the leader's commit index (INFO raft).</summary>
    private void WaitForFollowers(Dictionary<int, RespConnection> probes)
    {
        var commit = Field(probes[servers.LeaderPort], "raft_commit_index");
        var watch = Stopwatch.StartNew();
        foreach (var (port, follower) in probes)
        {
            while (port != servers.LeaderPort && Field(follower, "raft_applied_index") < commit && watch.Elapsed < TimeSpan.FromSeconds(20))
                Thread.Sleep(20);
        }
    }

    private static long Field(RespConnection connection, string name)
    {
        var info = Encoding.UTF8.GetString(connection.Execute("INFO", "raft").Bulk ?? []);
        var line = info.Split("\r\n").FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Normalize(byte[][] command, RespValue reply)
    {
        var words = command.Select(static a => Encoding.UTF8.GetString(a).ToUpperInvariant()).ToArray();
        if (reply.IsError)
            return reply.Render();
        if (words[0] == "HELLO")
            return "(hello reply)";
        if (words is ["ACL", "GENPASS", ..])
            return "(password of " + (reply.Bulk?.Length ?? -1) + " characters)";
        if (words is ["ACL", "CAT", _] && reply.Items is { } commands)
            return string.Join(' ', commands.Select(static c => Encoding.UTF8.GetString(c.Bulk ?? [])).Where(static c => !c.StartsWith("raftkv.", StringComparison.Ordinal) && c != "sentinel").Order(StringComparer.Ordinal));
        return Sorted(reply).Render();
    }

    /// <summary>The reply with the single-command rules of every description sorted (Redis emits them in hash order).</summary>
    private static RespValue Sorted(RespValue reply)
    {
        if (reply.Items is { } items)
            return new RespValue { Type = reply.Type, Items = items.Select(Sorted).ToList() };
        if (reply.Bulk is not { } bulk)
            return reply;
        var text = Encoding.UTF8.GetString(bulk);
        if (!text.Contains("+@", StringComparison.Ordinal) && !text.Contains("-@", StringComparison.Ordinal))
            return reply;
        // Single-command rules (+get, -config|set, +select|0) sorted among their own places; everything else kept in order.
        var tokens = text.Split(' ');
        var places = Enumerable.Range(0, tokens.Length)
            .Where(i => tokens[i].TrimStart('(').Length > 1 && tokens[i].TrimStart('(')[0] is '+' or '-' && tokens[i].TrimStart('(')[1] != '@').ToList();
        var rules = places.Select(i => tokens[i].Trim('(', ')')).Order(StringComparer.Ordinal).ToList();
        for (var j = 0; j < places.Count; j++)
            tokens[places[j]] = rules[j];
        return new RespValue { Type = reply.Type, Bulk = Encoding.UTF8.GetBytes(string.Join(' ', tokens)) };
    }
}
