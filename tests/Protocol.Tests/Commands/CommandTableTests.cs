using System.Text;
using RaftKV.Protocol.Commands;

namespace RaftKV.Protocol.Tests.Commands;

public class CommandTableTests
{
    private static readonly CommandId[] Internal = [CommandId.None, CommandId.NoOp, CommandId.Batch, CommandId.ExpireSweep, CommandId.LockLeaseExtend, CommandId.ConfigSet, CommandId.Transaction, CommandId.ScriptLoad, CommandId.ScriptFlush, CommandId.ClusterSecretSet, CommandId.AclBootstrap, CommandId.ScriptAsUser, CommandId.ScriptContinue, CommandId.ScriptKill, CommandId.Evict];

    [Fact]
    public void EveryClientCommandId_HasExactlyOneSpec()
    {
        foreach (CommandId id in Enum.GetValues<CommandId>().Except(Internal))
        {
            Assert.True(CommandTable.All.Count(spec => spec.Id == id) == 1, $"{id} must have exactly one spec");
            Assert.True(CommandTable.TryGet(id, out var spec), id.ToString());
            Assert.Equal(id, spec.Id);
        }
    }

    [Fact]
    public void InternalIds_HaveNoSpec()
    {
        foreach (CommandId id in Internal)
        {
            Assert.DoesNotContain(CommandTable.All, spec => spec.Id == id);
            Assert.False(CommandTable.TryGet(id, out _));
        }
    }

    [Fact]
    public void Names_AreUniqueLowerCaseAndSorted()
    {
        var names = CommandTable.All.Select(spec => spec.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(names, name => Assert.Equal(name.ToLowerInvariant(), name));
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void Names_MatchTheirIds()
    {
        // RaftKV's own commands live in the "raftkv." namespace: RaftkvBackup is "raftkv.backup",
        // RaftkvLockAcquire is "raftkv.lock.acquire". Redis's sort_ro is SortRo.
        Assert.All(CommandTable.All, spec => Assert.Equal(
            spec.Id.ToString().ToLowerInvariant(),
            spec.Name.Replace(".", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("get")]
    [InlineData("GET")]
    [InlineData("gEt")]
    public void TryGet_IsAsciiCaseInsensitive(string name)
    {
        Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(name), out var spec));
        Assert.Equal(CommandId.Get, spec.Id);
    }

    [Fact]
    public void TryGet_FindsEveryCommandInUpperCase()
    {
        foreach (var spec in CommandTable.All)
        {
            Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(spec.Name.ToUpperInvariant()), out var found), spec.Name);
            Assert.Same(spec, found);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("gett")]
    [InlineData("ge")]
    [InlineData("get ")]
    [InlineData("noop")]
    [InlineData("none")]
    [InlineData("g\u00c9t")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void TryGet_UnknownName_ReturnsFalse(string name) =>
        Assert.False(CommandTable.TryGet(Encoding.UTF8.GetBytes(name), out _));

    [Fact]
    public void TryGet_NonAsciiByteThatFoldsToLetter_DoesNotMatch() =>
        Assert.False(CommandTable.TryGet([(byte)'g', 0xC5, (byte)'t'], out _));

    [Theory]
    [InlineData("get", 2, 1, 1, 1)]
    [InlineData("set", -3, 1, 1, 1)]
    [InlineData("mget", -2, 1, -1, 1)]
    [InlineData("mset", -3, 1, -1, 2)]
    [InlineData("msetnx", -3, 1, -1, 2)]
    [InlineData("del", -2, 1, -1, 1)]
    [InlineData("exists", -2, 1, -1, 1)]
    [InlineData("unlink", -2, 1, -1, 1)]
    [InlineData("rename", 3, 1, 2, 1)]
    [InlineData("renamenx", 3, 1, 2, 1)]
    [InlineData("keys", 2, 0, 0, 0)]
    [InlineData("scan", -2, 0, 0, 0)]
    [InlineData("ping", -1, 0, 0, 0)]
    [InlineData("echo", 2, 0, 0, 0)]
    [InlineData("hello", -1, 0, 0, 0)]
    [InlineData("auth", -2, 0, 0, 0)]
    [InlineData("select", 2, 0, 0, 0)]
    [InlineData("client", -2, 0, 0, 0)]
    [InlineData("config", -2, 0, 0, 0)]
    [InlineData("info", -1, 0, 0, 0)]
    [InlineData("role", 1, 0, 0, 0)]
    [InlineData("command", -1, 0, 0, 0)]
    [InlineData("quit", -1, 0, 0, 0)]
    [InlineData("reset", 1, 0, 0, 0)]
    [InlineData("time", 1, 0, 0, 0)]
    [InlineData("debug", -2, 0, 0, 0)]
    [InlineData("cluster", -2, 0, 0, 0)]
    [InlineData("sentinel", -2, 0, 0, 0)]
    [InlineData("subscribe", -2, 0, 0, 0)]
    [InlineData("unsubscribe", -1, 0, 0, 0)]
    [InlineData("psubscribe", -2, 0, 0, 0)]
    [InlineData("punsubscribe", -1, 0, 0, 0)]
    [InlineData("publish", 3, 0, 0, 0)]
    [InlineData("dbsize", 1, 0, 0, 0)]
    [InlineData("flushdb", -1, 0, 0, 0)]
    [InlineData("flushall", -1, 0, 0, 0)]
    [InlineData("readonly", 1, 0, 0, 0)]
    [InlineData("readwrite", 1, 0, 0, 0)]
    [InlineData("lastsave", 1, 0, 0, 0)]
    [InlineData("incrbyfloat", 3, 1, 1, 1)]
    [InlineData("getrange", 4, 1, 1, 1)]
    [InlineData("setrange", 4, 1, 1, 1)]
    [InlineData("substr", 4, 1, 1, 1)]
    [InlineData("append", 3, 1, 1, 1)]
    [InlineData("strlen", 2, 1, 1, 1)]
    [InlineData("getset", 3, 1, 1, 1)]
    [InlineData("getdel", 2, 1, 1, 1)]
    [InlineData("setnx", 3, 1, 1, 1)]
    [InlineData("incr", 2, 1, 1, 1)]
    [InlineData("decr", 2, 1, 1, 1)]
    [InlineData("incrby", 3, 1, 1, 1)]
    [InlineData("decrby", 3, 1, 1, 1)]
    [InlineData("type", 2, 1, 1, 1)]
    [InlineData("raftkv.lock.acquire", 4, 1, 1, 1)]
    [InlineData("raftkv.lock.release", 3, 1, 1, 1)]
    [InlineData("raftkv.lock.refresh", 4, 1, 1, 1)]
    [InlineData("raftkv.lock.owner", 2, 1, 1, 1)]
    [InlineData("raftkv.getrev", 2, 1, 1, 1)]
    [InlineData("raftkv.kv.get", 2, 1, 1, 1)]
    [InlineData("raftkv.kv.range", 4, 1, 1, 1)]
    [InlineData("raftkv.kv.put", -3, 1, 1, 1)]
    [InlineData("raftkv.kv.delete", -4, 3, -1, 1)]
    [InlineData("raftkv.txn", -4, 0, 0, 0)]
    [InlineData("pubsub", -2, 0, 0, 0)]
    public void Spec_MatchesRedisCommandInfo(string name, int arity, int firstKey, int lastKey, int step)
    {
        Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(name), out var spec));
        Assert.Equal((arity, firstKey, lastKey, step), (spec.Arity, spec.FirstKey, spec.LastKey, spec.KeyStep));
    }

    [Fact]
    public void EveryCommand_HasExactlyOneRole()
    {
        const CommandFlags roles = CommandFlags.Write | CommandFlags.Read | CommandFlags.Admin | CommandFlags.Connection;
        foreach (var spec in CommandTable.All)
        {
            int count = System.Numerics.BitOperations.PopCount((uint)(spec.Flags & roles));
            Assert.True(count == 1, $"{spec.Name} has flags {spec.Flags}");
        }
    }

    [Theory]
    [InlineData("get", CommandFlags.Read | CommandFlags.Fast)]
    [InlineData("set", CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("del", CommandFlags.Write)]
    [InlineData("keys", CommandFlags.Read)]
    [InlineData("dbsize", CommandFlags.Read | CommandFlags.Fast)]
    [InlineData("flushall", CommandFlags.Write)]
    [InlineData("publish", CommandFlags.PubSub | CommandFlags.Write | CommandFlags.Fast)]
    [InlineData("subscribe", CommandFlags.PubSub | CommandFlags.Connection | CommandFlags.AllowedInSubscribe)]
    [InlineData("info", CommandFlags.Admin)]
    [InlineData("ping", CommandFlags.Connection | CommandFlags.Fast | CommandFlags.AllowedInSubscribe)]
    [InlineData("raftkv.lock.acquire", CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast)]
    [InlineData("raftkv.lock.release", CommandFlags.Write | CommandFlags.Fast)]
    [InlineData("raftkv.lock.refresh", CommandFlags.Write | CommandFlags.Fast)]
    [InlineData("raftkv.lock.owner", CommandFlags.Read | CommandFlags.Fast)]
    [InlineData("raftkv.getrev", CommandFlags.Read | CommandFlags.Fast)]
    [InlineData("raftkv.kv.get", CommandFlags.Read | CommandFlags.Fast)]
    [InlineData("raftkv.kv.range", CommandFlags.Read)]
    [InlineData("raftkv.kv.put", CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("raftkv.kv.delete", CommandFlags.Write)]
    [InlineData("raftkv.txn", CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("pubsub", CommandFlags.PubSub | CommandFlags.Connection)]
    public void Flags_FollowTheDesign(string name, CommandFlags flags)
    {
        Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(name), out var spec));
        Assert.Equal(flags, spec.Flags);
    }

    [Fact]
    public void KeyedCommands_AreReadsOrWrites()
    {
        // WATCH names keys (COMMAND GETKEYS lists them, as Redis's) but only records their revisions in the session.
        Assert.All(CommandTable.All.Where(spec => spec.FirstKey > 0 && spec.Id != CommandId.Watch), spec => Assert.True(spec.IsRead || spec.IsWrite, spec.Name));
    }
}
