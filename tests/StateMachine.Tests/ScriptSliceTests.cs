using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A script applied suspendable runs in slices of a fixed instruction count: every replica suspends it at the same
/// points, continuing it slice by slice reaches the same reply and state as on any other replica (also with pairs()
/// over hundreds of keys and math.random), and a kill before it wrote leaves nothing behind.
/// </summary>
public sealed class ScriptSliceTests
{
    private const string LongScript = """
        local t = {}
        for i = 1, 300 do t['k' .. i .. ':' .. ARGV[1]] = i end
        local n = 0
        for round = 1, 4000 do
          for k, v in pairs(t) do n = (n * 31 + v + round) % 1000003 end
          if round % 500 == 0 then redis.call('rpush', KEYS[1], n, math.random(1000000)) end
        end
        return n
        """;

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    // Applies the entry suspendable and continues it until it ends: its reply and the number of suspensions.
    private static (Reply Reply, int Slices) RunToEnd(KeyValueStore store, LogCommand command, int killAfter = -1)
    {
        var reply = store.ApplySuspendable(command, 7, 0);
        var slices = 0;
        while (store.IsScriptSuspended)
        {
            slices++;
            var next = store.ContinueScript(kill: slices == killAfter);
            if (next is not null)
                return (next, slices);
        }

        return (reply, slices);
    }

    [Fact]
    public void LongScript_IsSuspendedAtTheSamePoints_AndEndsInTheSameStateOnEveryReplica()
    {
        var command = new LogCommand(CommandId.Eval, 1000, 42, [B(LongScript), B("1"), B("list"), B("x")]);
        var first = new KeyValueStore();
        var second = new KeyValueStore();
        first.Apply(new LogCommand(CommandId.Eval, 1000, 1, [B("return #tostring({})"), B("0")])); // another history of the Lua state
        var (a, slicesA) = RunToEnd(first, command);
        var (b, slicesB) = RunToEnd(second, command);
        Assert.IsType<IntegerReply>(a);
        Assert.Equal(a.ToString(), b.ToString());
        Assert.True(slicesA >= 2, $"suspended {slicesA} times");
        Assert.Equal(slicesA, slicesB);
        Assert.Equal(first.Digest(), second.Digest());
        Assert.Equal(16, Assert.IsType<IntegerReply>(first.Read(CommandId.Llen, [B("list")], 1000)).Value);

        // The same script applied in one piece (a read-only run never suspends; here: applied unsuspendable).
        var whole = new KeyValueStore();
        Assert.Equal(a.ToString(), whole.Apply(command, 7, 0).ToString());
        Assert.Equal(first.Digest(), whole.Digest());
    }

    [Fact]
    public void KilledScript_AnswersKilled_AndLeavesNothingBehind()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.Set, 1000, 0, [B("k"), B("v")]));
        var before = store.Digest();
        var (reply, slices) = RunToEnd(store, new LogCommand(CommandId.Eval, 1000, 0, [B("local i = 0 while true do i = i + 1 end"), B("0")]), killAfter: 2);
        Assert.Equal(2, slices);
        Assert.Equal("ERR Script killed by user with SCRIPT KILL...", Assert.IsType<ErrorReply>(reply).Message);
        Assert.False(store.IsScriptSuspended);
        Assert.Equal(before, store.Digest());

        // The store serves on: the next script runs.
        Assert.Equal("$ok", store.Apply(new LogCommand(CommandId.Eval, 1000, 0, [B("return 'ok'"), B("0")])).ToString());
    }

    [Fact]
    public void ScriptThatWrote_IsMarkedWritten_AndFunctionsSuspendToo()
    {
        var store = new KeyValueStore();
        store.ApplySuspendable(new LogCommand(CommandId.Eval, 1000, 0, [B("redis.call('set', 'w', '1') local i = 0 while i < 20000000 do i = i + 1 end return i"), B("0")]), 3, 0);
        Assert.True(store.IsScriptSuspended);
        Assert.True(store.SuspendedScriptIsEval);
        Assert.True(store.SuspendedScriptWritten);
        while (store.IsScriptSuspended && store.ContinueScript(kill: false) is null)
        {
        }

        Assert.Equal("$1", store.Read(CommandId.Get, [B("w")], 1000).ToString());

        store.Apply(new LogCommand(CommandId.Function, 1000, 0, [B("LOAD"), B("#!lua name=lib\nredis.register_function('spin', function() local i = 0 while i < 20000000 do i = i + 1 end return i end)")]));
        store.ApplySuspendable(new LogCommand(CommandId.Fcall, 1000, 0, [B("spin"), B("0")]), 4, 0);
        Assert.True(store.IsScriptSuspended);
        Assert.False(store.SuspendedScriptIsEval);
        Assert.False(store.SuspendedScriptWritten);
        Reply? end = null;
        while (store.IsScriptSuspended && (end = store.ContinueScript(kill: false)) is null)
        {
        }

        Assert.Equal(20000000, Assert.IsType<IntegerReply>(end).Value);
    }

    [Fact]
    public void FunctionLoad_AfterAKilledFunction_IsNotRefusedAsATimeout()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.Function, 1000, 0, [B("LOAD"), B("#!lua name=lib\nredis.register_function('spin', function() while true do end end)")]));
        var (reply, _) = RunToEnd(store, new LogCommand(CommandId.Fcall, 1000, 0, [B("spin"), B("0")]), killAfter: 1);
        Assert.Contains("killed by user", Assert.IsType<ErrorReply>(reply).Message, StringComparison.Ordinal);
        Assert.Equal("$lib", store.Apply(new LogCommand(CommandId.Function, 1000, 0,
            [B("LOAD"), B("REPLACE"), B("#!lua name=lib\nredis.register_function('spin', function() return 1 end)")])).ToString());
    }
}
