using RaftKV.Differential.Tests.Infrastructure;

namespace RaftKV.Differential.Tests;

/// <summary>
/// COMMAND's own answers against redis-server 7.0: how every command both serve is described (flags, key positions,
/// categories, tips, key specs and subcommands), the keys and key flags COMMAND GETKEYSANDFLAGS finds, and the arity
/// errors of container commands' subcommands.
/// </summary>
public sealed class CommandIntrospectionTests(Servers servers) : IClassFixture<Servers>
{
    [Fact]
    public void Command_DescribesEveryCommandBothServe_AsRedisDoes()
    {
        var redis = Describe(servers.RedisPort);
        var raftkv = Describe(servers.LeaderPort);
        var shared = redis.Keys.Intersect(raftkv.Keys).Order(StringComparer.Ordinal).ToList();

        // Redis's MIGRATE and RESTORE-ASKING move keys between Redis instances; RaftKV does not serve them.
        Assert.Equal(["migrate", "restore-asking"], redis.Keys.Except(raftkv.Keys).Order(StringComparer.Ordinal));
        Assert.True(shared.Count > 200, $"only {shared.Count} commands in common");
        var differing = shared.Where(name => redis[name] != raftkv[name])
            .Select(name => $"{name}\n  redis:  {redis[name]}\n  raftkv: {raftkv[name]}")
            .ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} commands described differently:\n" + string.Join("\n", differing.Take(10)));
    }

    [Fact]
    public void GetKeysAndFlags_AndSubcommandArity_AsRedisDoes()
    {
        var runner = new DifferentialRunner(servers);
        runner.Reset();
        string[] lines =
        [
            // Key flags from the key specs, and from the key functions of SET, BITFIELD and SORT.
            "command getkeysandflags set k1 v1", "command getkeysandflags set k1 v1 get", "command getkeysandflags mset k1 v1 k2 v2",
            "command getkeysandflags lmove k1 k2 left right", "command getkeysandflags sort k1 store k2",
            "command getkeysandflags sort k1 by x get y store k2 store k3", "command getkeysandflags sort_ro k1 by x",
            "command getkeysandflags bitfield k get u8 0", "command getkeysandflags bitfield k incrby u8 0 1",
            "command getkeysandflags georadius k 0 0 1 m store s", "command getkeysandflags xread count 2 streams a b 0 0",
            "command getkeysandflags zunionstore d 2 a b", "command getkeysandflags eval x 1 a", "command getkeysandflags memory usage k",
            "command getkeysandflags xgroup create k g $", "command getkeysandflags object encoding k", "command getkeysandflags move k 1",
            "command getkeys eval x 0", "command getkeys zunionstore d 5 a b", "command getkeys zunionstore d x a b",
            // Counts the key specs cannot read go to Redis's generic key function, which reads them as C's atoi does.
            "command getkeysandflags sintercard 01 a", "command getkeys eval x \" 1\" k", "command getkeys zunion 1x a",
            "command getkeysandflags zunionstore d 02 a b", "command getkeys zunion 4294967297 a", "command getkeys zunion -1 a",
            "command getkeys lmpop 99999999999999999999 a left", "command getkeys bzmpop 0 1x a min",
            "command getkeys fcall f 1 k", "command getkeys fcall f -1 k", "command getkeys blmpop 0 +1 a left",
            "command getkeys spublish c m", "command getkeys config get x", "command getkeys ping", "command getkeys nosuch x",
            "command getkeys xgroup nosuch k", "command getkeys get", "command getkeys", "command getkeysandflags",
            "command info get|key", "command info config|get|key", "command info config|get", "command info xinfo|stream",
            // A known subcommand with a wrong argument count: "container|sub" in Redis's arity error.
            "command count x", "script exists", "config get", "object encoding", "xinfo stream", "memory usage", "client setname",
            "function delete", "latency history", "cluster keyslot", "pubsub numpat x", "acl whoami x", "xgroup createconsumer k g",
        ];
        var commands = lines.Select(static line => ScriptLine.Split(line)).ToList();
        var mismatch = runner.FindMismatch(commands);
        Assert.True(mismatch is null, mismatch is null ? string.Empty
            : $"{DifferentialRunner.Describe([commands[mismatch.Index]])}\nredis:  {mismatch.Expected.Render()}\nraftkv: {mismatch.Actual.Render()}");
    }

    // Every command COMMAND lists, rendered; subcommands in name order (Redis lists them in its hash table's order).
    private static Dictionary<string, string> Describe(int port)
    {
        using var connection = RespConnection.Connect(port);
        var all = connection.Execute("COMMAND");
        Assert.False(all.IsError, all.Render());
        return all.Items!.ToDictionary(static c => c.Items![0].Render().Trim('"'), Render, StringComparer.Ordinal);
    }

    private static string Render(RespValue command)
    {
        var parts = command.Items!.Select(static p => p.Render()).ToList();
        if (command.Items!.Count == 10 && command.Items[9].Items is { } subcommands)
            parts[9] = "[" + string.Join(", ", subcommands.Select(Render).Order(StringComparer.Ordinal)) + "]";
        return string.Join(" | ", parts);
    }
}
