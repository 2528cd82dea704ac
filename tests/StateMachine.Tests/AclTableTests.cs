using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Acl;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>ACL users as replicated state: Redis 7.0.15's rule syntax, errors and descriptions (replies taken from redis-server 7.0.15).</summary>
public sealed class AclTableTests
{
    private static Reply Set(AclTable table, string name, params string[] rules) => table.SetUser(name, rules, commit: true);

    private static string List(AclTable table) =>
        string.Join("\n", table.Current.Ordered.Select(static u => "user " + u.Name + " " + u.Describe()));

    [Fact]
    public void NewTable_HasRedisDefaultUser()
    {
        var table = new AclTable();
        Assert.Equal("user default on nopass ~* &* +@all", List(table));
        Assert.False(table.Current.AuthRequired);
        Assert.True(table.Current.Default.IsUnrestricted);
    }

    [Theory]
    [InlineData("off resetchannels -@all")]
    [InlineData("off sanitize-payload resetchannels -@all", "reset")]
    [InlineData("on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~cfg:* resetchannels -@all +@read", "on", ">p1", "~cfg:*", "+@read")]
    [InlineData("on nopass %R~r* %W~w* ~x resetchannels &ch -@all +config|get +get +select|0",
        "on", "nopass", "%R~r*", "%W~w*", "%RW~x", "&ch", "-@all", "+get", "+config|get", "+select|0")]
    [InlineData("off skip-sanitize-payload resetchannels -@all (~a resetchannels -@all +get) (~b resetchannels -@all +set)",
        "(~a +get)", "(", "+set", "~b)", "skip-sanitize-payload")]
    [InlineData("off resetchannels +@all -@dangerous -get", "+@all", "-get", "-@dangerous")]
    [InlineData("off ~a %R~b resetchannels -@all +@read", "~a", "%r~b", "+@read", "%R~b")]
    public void SetUser_DescribesAsRedis(string expected, params string[] rules)
    {
        var table = new AclTable();
        Assert.Equal(Reply.Ok, Set(table, "u", rules));
        Assert.Equal(expected, table.Current.Find("u")!.Describe());
    }

    [Theory]
    [InlineData("ERR Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns", "~*", "~x")]
    [InlineData("ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels", "&*", "&x")]
    [InlineData("ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL", "+nosuch")]
    [InlineData("ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL", "+@nosuch")]
    [InlineData("ERR Error in ACL SETUSER modifier 'bogus': Syntax error", "bogus")]
    [InlineData("ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist", "<nope")]
    [InlineData("ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters", "#abc")]
    [InlineData("ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported", "+config|get|x")]
    [InlineData("ERR Error in ACL SETUSER modifier '+get|': Syntax error", "+get|")]
    [InlineData("ERR Unmatched parenthesis in acl selector starting at '(~a'.", "(~a")]
    [InlineData("ERR Error in ACL SETUSER modifier '~a b': Syntax error", "~a b")]
    [InlineData("ERR Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL", "-select|0")]
    [InlineData("ERR Error in ACL SETUSER modifier '%X~a': Syntax error", "%X~a")]
    [InlineData("ERR Error in ACL SETUSER modifier '(+nosuch ~a)': Unknown command or category name in ACL", "(+nosuch ~a)")]
    public void SetUser_BadRule_AnswersRedisErrorAndChangesNothing(string expected, params string[] rules)
    {
        var table = new AclTable();
        Set(table, "h", "on", ">pw");
        var before = List(table);
        Assert.Equal(expected, ((ErrorReply)Set(table, "h", rules)).Message);
        Assert.Equal(before, List(table));
    }

    [Fact]
    public void SetUser_NameWithSpace_IsRefused() =>
        Assert.Equal("ERR Usernames can't contain spaces or null characters", ((ErrorReply)Set(new AclTable(), "a b")).Message);

    [Fact]
    public void DeleteUsers_CountsDeleted_AndNeverTheDefaultUser()
    {
        var table = new AclTable();
        Set(table, "a");
        Set(table, "b");
        Assert.Equal("ERR The 'default' user cannot be removed", ((ErrorReply)table.DeleteUsers(["a", "default"])).Message);
        Assert.NotNull(table.Current.Find("a"));
        Assert.Equal(2, ((IntegerReply)table.DeleteUsers(["a", "b", "zz", "a"])).Value);
        Assert.Equal(["default"], table.Current.Ordered.Select(static u => u.Name));
    }

    [Fact]
    public void Users_AreListedInByteOrder_WhateverTheOrderTheyWereMade()
    {
        var table = new AclTable();
        foreach (var name in new[] { "zeta", "Alpha", "alpha", "beta", "_x" })
            Set(table, name);
        Assert.Equal(["Alpha", "_x", "alpha", "beta", "default", "zeta"], table.Current.Ordered.Select(static u => u.Name));
    }

    [Fact]
    public void Accepts_ChecksPasswordsEnabledAndNopass()
    {
        var table = new AclTable();
        Set(table, "u", "on", ">secret", ">other");
        var user = table.Current.Find("u")!;
        Assert.True(user.Accepts("secret"u8));
        Assert.True(user.Accepts("other"u8));
        Assert.False(user.Accepts("wrong"u8));
        Set(table, "u", "off");
        Assert.False(table.Current.Find("u")!.Accepts("secret"u8));
        Set(table, "u", "on", "nopass");
        Assert.True(table.Current.Find("u")!.Accepts("anything"u8));
    }

    [Fact]
    public void Check_ReadOnlyUser_AllowsReadsOfItsKeysOnly()
    {
        var table = new AclTable();
        Set(table, "ro", "on", ">pw", "~cfg:*", "+@read");
        var user = table.Current.Find("ro")!;
        var get = AclCommandCatalog.Find("get")!;
        var set = AclCommandCatalog.Find("set")!;
        Assert.True(user.Check(get, [[.."get"u8], [.."cfg:1"u8]], [1], [], [], AclKeyAccess.Read).IsAllowed);
        Assert.Equal(new AclCheck(AclDenial.Key, 1), user.Check(get, [[.."get"u8], [.."other"u8]], [1], [], [], AclKeyAccess.Read));
        Assert.Equal(AclDenial.Command, user.Check(set, [[.."set"u8], [.."cfg:1"u8], [.."v"u8]], [1], [], [], AclKeyAccess.Write).Denial);
    }

    [Fact]
    public void Check_PatternSubscribe_MatchesAllowedPatternsLiterally()
    {
        var table = new AclTable();
        Set(table, "pub", "on", "nopass", "&news.*", "+publish", "+psubscribe");
        var user = table.Current.Find("pub")!;
        var psubscribe = AclCommandCatalog.Find("psubscribe")!;
        Assert.True(user.Check(psubscribe, [[.."psubscribe"u8], [.."news.*"u8]], [], [], [(1, true)], AclKeyAccess.None).IsAllowed);
        Assert.Equal(AclDenial.Channel, user.Check(psubscribe, [[.."psubscribe"u8], [.."news.x"u8]], [], [], [(1, true)], AclKeyAccess.None).Denial);
        Assert.True(user.Check(AclCommandCatalog.Find("publish")!, [[.."publish"u8], [.."news.x"u8], [.."m"u8]], [], [], [(1, false)], AclKeyAccess.None).IsAllowed);
    }

    [Fact]
    public void Check_FirstArg_AllowsOnlyThatArgument()
    {
        var table = new AclTable();
        Set(table, "s", "-@all", "+select|0");
        var user = table.Current.Find("s")!;
        var select = AclCommandCatalog.Find("select")!;
        Assert.True(user.Check(select, [[.."select"u8], [.."0"u8]], [], [], [], AclKeyAccess.None).IsAllowed);
        Assert.False(user.Check(select, [[.."select"u8], [.."1"u8]], [], [], [], AclKeyAccess.None).IsAllowed);
    }

    [Fact]
    public void ConfigSetRequirepass_SetsTheDefaultUsersPassword()
    {
        var store = new KeyValueStore();
        var hash = AclPasswords.Hash("secret"u8);
        store.Apply(CommandId.ConfigSet, 1000, "requirepass", hash);
        Assert.True(store.Acl.Current.AuthRequired);
        Assert.True(store.Acl.Current.Default.Accepts("secret"u8));
        Assert.Equal("on #" + hash + " ~* &* +@all", store.Acl.Current.Default.Describe());
        store.Apply(CommandId.ConfigSet, 1001, "requirepass", "");
        Assert.False(store.Acl.Current.AuthRequired);
    }

    [Fact]
    public void AclEntries_ApplyAlikeOnEveryReplica_AndSurviveASnapshot()
    {
        var store = new KeyValueStore();
        Assert.Equal(Reply.Ok, store.Apply(CommandId.Acl, 1000, "SETUSER", "ro", "on", "#" + AclPasswords.Hash("pw"u8), "~cfg:*", "+@read"));
        Assert.Equal(Reply.Ok, store.Apply(CommandId.Acl, 1001, "setuser", "sel", "(~a +get)", "&x", "+select|0"));
        Assert.Equal(Reply.Ok, store.Apply(CommandId.Acl, 1002, "SETUSER", "gone"));
        Assert.Equal(Reply.One, store.Apply(CommandId.Acl, 1003, "DELUSER", "gone"));
        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(List(store.Acl), List(restored.Acl));
        Assert.Equal(store.Acl.Current.LastGeneration, restored.Acl.Current.LastGeneration);
        Assert.Equal(Snapshot(store), Snapshot(restored));
        Assert.True(restored.Acl.Current.Find("ro")!.Accepts("pw"u8));
    }

    [Fact]
    public void Bootstrap_AppliesOnce_AllOrNothing()
    {
        var store = new KeyValueStore();
        var hash = AclPasswords.Hash("boot"u8);
        Assert.IsType<ErrorReply>(store.Apply(CommandId.AclBootstrap, 1000, "USER", "a", "on", "+nosuch"));
        Assert.False(store.Acl.Current.Bootstrapped);
        Assert.Null(store.Acl.Current.Find("a"));
        Assert.Equal(Reply.One, store.Apply(CommandId.AclBootstrap, 1001, "USER", "a", "on", "nopass", "+@read", "REQUIREPASS", hash));
        Assert.True(store.Acl.Current.Bootstrapped);
        Assert.True(store.Acl.Current.Default.Accepts("boot"u8));
        Assert.Equal(Reply.Zero, store.Apply(CommandId.AclBootstrap, 1002, "USER", "b"));
        Assert.Null(store.Acl.Current.Find("b"));
    }

    [Fact]
    public void UserMadeAgain_IsANewGeneration()
    {
        var table = new AclTable();
        Set(table, "u");
        var first = table.Current.Find("u")!.Generation;
        Set(table, "u", "on");
        Assert.Equal(first, table.Current.Find("u")!.Generation);
        table.DeleteUsers(["u"]);
        Set(table, "u");
        Assert.NotEqual(first, table.Current.Find("u")!.Generation);
    }
}
