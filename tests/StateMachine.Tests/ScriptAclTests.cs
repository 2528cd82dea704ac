using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// redis.call and redis.pcall are checked against the ACL user the script's entry carries (<see cref="ScriptUserEntry"/>),
/// as Redis 7.0's scriptVerifyACL checks the calling client's user; the errors are redis-server 7.0.15's (user bob
/// <c>on &gt;123 +@scripting +set ~x*</c>). Entries without a user (the format before) run unchecked, as before.
/// </summary>
public sealed class ScriptAclTests
{
    private const string NoCommand = "ERR The user executing the script can't run this command or subcommand";
    private const string NoKey = "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";

    private static KeyValueStore StoreWithBob()
    {
        var store = new KeyValueStore();
        Assert.Equal(Reply.Ok, store.Apply(CommandId.Acl, 1000, "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*"));
        return store;
    }

    private static Reply EvalAs(KeyValueStore store, string user, string script, params string[] keysAndArgs) =>
        store.Apply(ScriptUserEntry.Wrap(new LogCommand(CommandId.Eval, 2000, 7, [B(script), .. keysAndArgs.Select(B)]), user));

    private static string Message(Reply reply) => Assert.IsType<ErrorReply>(reply).Message;

    [Fact]
    public void Eval_CommandTheUserMayNotRun_FailsInsideTheScript()
    {
        var store = StoreWithBob();
        var message = Message(EvalAs(store, "bob", "return redis.call('hset', 'x1', 'f', 'v')", "0"));
        Assert.StartsWith(NoCommand + " script: ", message);
        Assert.EndsWith(", on @user_script:1.", message);
        Assert.Equal(Reply.Zero, store.Read(CommandId.Exists, [B("x1")], 3000));
    }

    [Fact]
    public void Eval_KeyOutsideTheUsersPatterns_FailsAndWritesNothing()
    {
        var store = StoreWithBob();
        Assert.StartsWith(NoKey + " script: ", Message(EvalAs(store, "bob", "return redis.call('set', 'y1', 'v')", "0")));
        Assert.Equal(Reply.Zero, store.Read(CommandId.Exists, [B("y1")], 3000));
    }

    [Fact]
    public void Eval_AllowedCommandAndKey_Runs()
    {
        var store = StoreWithBob();
        Assert.Equal("OK", ReplyText.Render(EvalAs(store, "bob", "return redis.call('set', KEYS[1], 'v')", "1", "x1")));
        Assert.Equal("\"v\"", ReplyText.Render(store.Read(CommandId.Get, [B("x1")], 3000)));
    }

    [Fact]
    public void Pcall_RefusedCall_ReturnsTheErrorTable()
    {
        var store = StoreWithBob();
        var reply = EvalAs(store, "bob", "local r = redis.pcall('set', 'y1', 'v'); return r['err']", "0");
        Assert.Equal("\"" + NoKey + "\"", ReplyText.Render(reply));
    }

    [Fact]
    public void AclCheckCmd_AnswersForTheScriptsUser()
    {
        var store = StoreWithBob();
        Assert.Equal("(integer) 1", ReplyText.Render(EvalAs(store, "bob", "return redis.acl_check_cmd('set', 'xx', 1)", "0")));
        Assert.IsType<NullReply>(EvalAs(store, "bob", "return redis.acl_check_cmd('hset', 'xx', 'f', 1)", "0"));
        Assert.IsType<NullReply>(EvalAs(store, "bob", "return redis.acl_check_cmd('set', 'yy', 1)", "0"));
    }

    [Fact]
    public void Eval_UserDeletedBeforeTheEntryApplies_EveryCallIsRefused()
    {
        var store = StoreWithBob();
        Assert.Equal(Reply.One, store.Apply(CommandId.Acl, 1500, "DELUSER", "bob"));
        Assert.StartsWith(NoCommand + " script: ", Message(EvalAs(store, "bob", "return redis.call('set', 'x1', 'v')", "0")));
        Assert.Equal(Reply.Zero, store.Read(CommandId.Exists, [B("x1")], 3000));
    }

    [Fact]
    public void Eval_EntryWithoutUser_RunsUncheckedAsBefore()
    {
        var store = StoreWithBob();
        Assert.Equal("OK", ReplyText.Render(store.Apply(CommandId.Eval, 2000, "return redis.call('set', 'y1', 'v')", "0")));
        Assert.Equal(Reply.One, store.Read(CommandId.Exists, [B("y1")], 3000));
    }

    [Fact]
    public void Eval_DefaultUser_RunsEverything()
    {
        var store = StoreWithBob();
        Assert.Equal("OK", ReplyText.Render(EvalAs(store, "default", "return redis.call('hset', 'y1', 'f', 'v') and redis.call('set', 'y2', 'v')", "0")));
    }

    [Fact]
    public void Fcall_RestrictedUser_IsCheckedLikeEval()
    {
        var store = StoreWithBob();
        const string Library = "#!lua name=lib\nredis.register_function('setit', function(keys) return redis.call('set', keys[1], 'v') end)";
        Assert.Equal("\"lib\"", ReplyText.Render(store.Apply(CommandId.Function, 1500, "LOAD", Library)));
        Assert.Equal("OK", ReplyText.Render(store.Apply(ScriptUserEntry.Wrap(new LogCommand(CommandId.Fcall, 2000, 7, [B("setit"), B("1"), B("x1")]), "bob"))));
        var refused = store.Apply(ScriptUserEntry.Wrap(new LogCommand(CommandId.Fcall, 2001, 7, [B("setit"), B("1"), B("y1")]), "bob"));
        Assert.StartsWith(NoKey, Message(refused));
        Assert.Equal(Reply.Zero, store.Read(CommandId.Exists, [B("y1")], 3000));
    }

    [Fact]
    public void EvalRo_ReadForARestrictedUser_IsChecked()
    {
        var store = StoreWithBob();
        Assert.Equal(Reply.Ok, store.Apply(CommandId.Set, 1500, "y1", "v"));
        var refused = store.Read(CommandId.EvalRo, [B("return redis.call('get', 'y1')"), B("0")], 3000, "bob");
        Assert.StartsWith(NoCommand, Message(refused));
        Assert.Equal("\"v\"", ReplyText.Render(store.Read(CommandId.EvalRo, [B("return redis.call('get', 'y1')"), B("0")], 3000, "default")));
    }

    [Fact]
    public void EncodedEntryWithoutUser_AsWrittenBeforeScriptAsUser_AppliesUnchecked()
    {
        // EVAL "return redis.call('set', 'y1', 'v')" 0 at 2000 ms, seed 7, in log format 1 as leaders wrote it before.
        const string Hex = "019100d0070000000000000700000000000000022372657475726e2072656469732e63616c6c2827736574272c2027793127"
                           + "2c2027762729" + "0130";
        var store = StoreWithBob();
        var entry = LogEntryCodec.Decode(new System.Buffers.ReadOnlySequence<byte>(Convert.FromHexString(Hex)));
        Assert.Equal("OK", ReplyText.Render(store.Apply(entry)));
        Assert.Equal(Reply.One, store.Read(CommandId.Exists, [B("y1")], 3000));
    }

    [Fact]
    public void ScriptAsUserEntry_EncodingIsPinned()
    {
        // Persisted format: version 1, id 11, then user, command name and the command's own arguments.
        var wrapped = ScriptUserEntry.Wrap(new LogCommand(CommandId.Eval, 1, 2, [B("return 1"), B("0")]), "bob");
        Assert.Equal("010b00010000000000000002000000000000000403626f62046576616c0872657475726e20310130",
            Convert.ToHexString(LogEntryCodec.Encode(wrapped)).ToLowerInvariant());
    }

    [Fact]
    public void Wrap_OnlyScriptCommands_AndSurvivesTheCodec()
    {
        var set = new LogCommand(CommandId.Set, 1, 2, [B("k"), B("v")]);
        Assert.Same(set, ScriptUserEntry.Wrap(set, "bob"));
        var wrapped = ScriptUserEntry.Wrap(new LogCommand(CommandId.Evalsha, 1, 2, [B("abc"), B("0")]), "bob");
        Assert.Equal(CommandId.ScriptAsUser, wrapped.Command);
        var decoded = LogEntryCodec.Decode(new System.Buffers.ReadOnlySequence<byte>(LogEntryCodec.Encode(wrapped)));
        Assert.Equal(["bob", "evalsha", "abc", "0"], decoded.Arguments.Select(System.Text.Encoding.Latin1.GetString));
    }
}
