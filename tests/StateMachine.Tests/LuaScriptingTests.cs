using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Scripts at apply: the budget (instructions, memory) stops a script and rolls its writes back, other failures keep
/// earlier writes as Redis does, replicas agree whatever their Lua state's history, and the script cache is replicated
/// state (snapshots). Conversions and error wording are pinned by Scripts/scripting-eval.txt (recorded from Redis).
/// </summary>
public sealed class LuaScriptingTests
{
    private static Reply Eval(KeyValueStore store, string script, params string[] keysThenArgs) =>
        Eval(store, script, 0, keysThenArgs);

    private static Reply Eval(KeyValueStore store, string script, int keyCount, params string[] keysThenArgs) =>
        store.Apply(new LogCommand(CommandId.Eval, 1000, 42, [B(script), B(keyCount.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. keysThenArgs.Select(B)]));

    private static string Text(Reply reply) => ReplyText.Render(reply);

    [Fact]
    public void EndlessLoop_AnswersBudgetError_RollsBackItsWrites_AndTheStoreServesOn()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1000, "k", "before");
        store.Apply(CommandId.Rpush, 1000, "list", "a", "b");
        var digest = store.Digest();

        var reply = Eval(store, "redis.call('set', 'k', 'changed') redis.call('del', 'list') redis.call('set', 'new', 'x') while true do end");

        Assert.Equal("(error) ERR Script exceeded the budget of 100000000 instructions; its writes were rolled back", Text(reply));
        Assert.Equal(digest, store.Digest());
        Assert.Equal("\"before\"", Text(store.Read(CommandId.Get, [B("k")], 1000)));
        Assert.Equal("(integer) 0", Text(store.Read(CommandId.Exists, [B("new")], 1000)));
        Assert.Equal("\"ok\"", Text(Eval(store, "return 'ok'")));
    }

    [Fact]
    public void PcallCannotSwallowTheBudget()
    {
        var store = new KeyValueStore();
        var reply = Eval(store, "redis.call('set', 'k', 'v') while true do pcall(function() while true do end end) end");
        Assert.StartsWith("(error) ERR Script exceeded the budget", Text(reply), StringComparison.Ordinal);
        Assert.Equal(0, store.KeyCount);
    }

    [Fact]
    public void HugeAllocation_AnswersMemoryError_RollsBackItsWrites()
    {
        var store = new KeyValueStore();
        var reply = Eval(store, "redis.call('set', 'k', 'v') local t = {} for i = 1, 100 do t[i] = string.rep('x', 1024 * 1024) .. i end return #t");
        Assert.Equal("(error) ERR Script exceeded the memory limit of 64 MiB; its writes were rolled back", Text(reply));
        Assert.Equal(0, store.KeyCount);
        Assert.Equal("(integer) 3", Text(Eval(store, "return #string.rep('x', 3)")));
    }

    [Fact]
    public void GarbageBeyondTheLimit_IsCollected_NotRefused()
    {
        var store = new KeyValueStore();
        var reply = Eval(store, "local n = 0 for i = 1, 200 do local s = string.rep('y', 1024 * 1024) .. i n = n + #s end return n");
        Assert.StartsWith("(integer) ", Text(reply), StringComparison.Ordinal);
    }

    /// <summary>
    /// Redis's "EVAL does not leak in the Lua stack" (10,000 runs of an INCR script): the garbage of runs is collected
    /// at Lua's own pace, so the state (INFO used_memory_lua) stays within twice its live size. (Redis's test asks for
    /// under 100 KB: its Lua 5.1 state is about 32 KB, this Lua 5.4 state with its libraries about 160 KB live.)
    /// </summary>
    [Fact]
    public void ManyRuns_CollectTheirGarbage_AtLuasPace()
    {
        var store = new KeyValueStore();
        Eval(store, "return redis.call('incr', KEYS[1])", 1, "x");
        var live = store.ScriptEngineMemory;
        for (var i = 1; i < 10_000; i++)
            Eval(store, "return redis.call('incr', KEYS[1])", 1, "x");

        Assert.Equal("\"10000\"", Text(store.Read(CommandId.Get, [B("x")], 1000)));
        Assert.True(store.ScriptEngineMemory <= 2 * live + 48 * 1024,
            $"the Lua state holds {store.ScriptEngineMemory} bytes after 10,000 runs, {live} after the first");
    }

    [Fact]
    public void ScriptError_KeepsTheWritesBeforeIt_AsRedis()
    {
        var store = new KeyValueStore();
        var reply = Eval(store, "redis.call('set', 'k', 'v') error('boom')");
        Assert.StartsWith("(error) ERR user_script:1: boom", Text(reply), StringComparison.Ordinal);
        Assert.Equal("\"v\"", Text(store.Read(CommandId.Get, [B("k")], 1000)));
    }

    [Fact]
    public void PairsOverHundredsOfKeys_WritesInTheSameOrder_OnStoresWithDifferentHistories()
    {
        const string script = """
            local t = {}
            for i = 1, 500 do t['key:' .. i] = i end
            t[1.5] = 'f'; t[true] = 'b'; t[3] = 'i'
            local order = {}
            for k, v in pairs(t) do order[#order + 1] = tostring(k) end
            local r = {}
            for i = 1, 5 do r[i] = math.random(1000000) end
            redis.call('rpush', KEYS[1], unpack(order))
            redis.call('rpush', KEYS[2], unpack(r))
            return {order[1], order[2], order[3], order[4], order[5], order[503], tostring({}), tostring(type)}
            """;
        var first = new KeyValueStore();
        var second = new KeyValueStore();

        // A different history in the second store's Lua state: other scripts, a read-only run, collected garbage.
        Eval(second, "local t = {} for i = 1, 10000 do t['x' .. i] = i end return 1");
        second.Read(CommandId.EvalRo, [B("return redis.call('get', 'nothing')"), B("0")], 1000);
        Eval(second, "return tostring({})");

        var a = Eval(first, script, 2, "order", "random");
        var b = Eval(second, script, 2, "order", "random");
        Assert.Equal(Text(a), Text(b));
        Assert.Equal("[\"1.5\", \"3\", \"key:1\", \"key:10\", \"key:100\", \"true\", \"table: 0x00000001\", \"function: 0x00000002\"]", Text(a));
        Assert.Equal(first.Digest(), second.Digest());
    }

    [Fact]
    public void MathRandom_FollowsTheEntrySeed_AndRandomseed()
    {
        var store = new KeyValueStore();
        Reply Run(ulong seed, string script) =>
            store.Apply(new LogCommand(CommandId.Eval, 1000, seed, [B(script), B("0")]));

        Assert.Equal(Text(Run(1, "return tostring(math.random())")), Text(Run(1, "return tostring(math.random())")));
        Assert.NotEqual(Text(Run(1, "return tostring(math.random())")), Text(Run(2, "return tostring(math.random())")));
        Assert.Equal(Text(Run(1, "math.randomseed(7) return tostring(math.random())")), Text(Run(2, "math.randomseed(7) return tostring(math.random())")));
    }

    [Fact]
    public void PairsOverATableKeyedByTables_IsRefused()
    {
        var store = new KeyValueStore();
        var reply = Eval(store, "local t = {[{}] = 1} for k in pairs(t) do end");
        Assert.Contains("cannot iterate a table keyed by a table value", Text(reply), StringComparison.Ordinal);
    }

    [Fact]
    public void Publish_IsCollectedForTheNode_AndDroppedWhenTheBudgetRollsBack()
    {
        var store = new KeyValueStore();
        Eval(store, "redis.call('publish', 'ch', 'one') return 1");
        var published = store.TakePublished();
        Assert.Equal(["ch:one"], published.Select(static p => System.Text.Encoding.UTF8.GetString(p.Channel) + ":" + System.Text.Encoding.UTF8.GetString(p.Message)));
        Assert.Empty(store.TakePublished());

        Eval(store, "redis.call('publish', 'ch', 'two') while true do end");
        Assert.Empty(store.TakePublished());
    }

    [Fact]
    public void ScriptCache_SurvivesASnapshot_AndScriptFlushEmptiesIt()
    {
        var store = new KeyValueStore();
        var sha = Text(store.Apply(new LogCommand(CommandId.ScriptLoad, 1000, 0, [B("return 'loaded'")])));
        Eval(store, "return 'evaluated'");
        Assert.Equal(2, store.CachedScriptCount);

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(2, restored.CachedScriptCount);
        var bySha = restored.Apply(new LogCommand(CommandId.Evalsha, 1000, 0, [B(sha.Trim('"')), B("0")]));
        Assert.Equal("\"loaded\"", Text(bySha));
        Assert.Equal(Snapshot(store), Snapshot(restored));

        Assert.Equal("OK", Text(restored.Apply(new LogCommand(CommandId.ScriptFlush, 1000, 0, []))));
        Assert.Equal("(error) NOSCRIPT No matching script. Please use EVAL.",
            Text(restored.Apply(new LogCommand(CommandId.Evalsha, 1000, 0, [B(sha.Trim('"')), B("0")]))));
    }

    [Fact]
    public void ScriptLoad_OfABadScript_AnswersTheCompileError_AndCachesNothing()
    {
        var store = new KeyValueStore();
        var reply = store.Apply(new LogCommand(CommandId.ScriptLoad, 1000, 0, [B("return 'unclosed")]));
        Assert.StartsWith("(error) ERR Error compiling script (new function): user_script:1:", Text(reply), StringComparison.Ordinal);
        Assert.Equal(0, store.CachedScriptCount);
    }

    [Fact]
    public void Time_InAScript_IsTheEntryTime()
    {
        var store = new KeyValueStore();
        var reply = store.Apply(new LogCommand(CommandId.Eval, 1_700_000_000_123, 0, [B("return redis.call('time')"), B("0")]));
        Assert.Equal("[\"1700000000\", \"123000\"]", Text(reply));
    }
}
