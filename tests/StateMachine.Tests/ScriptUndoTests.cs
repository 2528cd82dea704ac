using System.Globalization;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A script's undo journal on large collections (UndoTrail): a list, a hashtable hash, a hashtable set and a skiplist
/// sorted set record the inverse of each change instead of being copied before the script's first write to them (a
/// 100,000-member sorted set was copied on every node for every script that wrote to it). Checked against the store's
/// digest and full reads taken before: random scripts over every kind of change, moves between keys, deletes, expiries
/// and the O(n) changes that make the collection as it was at once (LINSERT, LREM), then stopped by the memory budget.
/// </summary>
public sealed class ScriptUndoTests
{
    private const int Large = 700;

    // Stops the script by its memory budget: quick, and the same rollback as the instruction budget.
    private const string Bomb = "local t = {} for i = 1, 100 do t[i] = string.rep('x', 1024 * 1024) .. i end";

    private static Reply Eval(KeyValueStore store, long now, string script) =>
        store.Apply(new LogCommand(CommandId.Eval, now, 42, [B(script), B("0")]));

    private static KeyValueStore Filled()
    {
        var store = new KeyValueStore();
        var items = Enumerable.Range(0, Large).Select(i => "e" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        store.Apply(CommandId.Rpush, 1, ["l", .. items]);
        store.Apply(CommandId.Rpush, 1, ["l2", "a", "b", "c"]);
        store.Apply(CommandId.Hset, 1, ["h", .. items.SelectMany(e => new[] { e, "v" + e })]);
        store.Apply(CommandId.Hset, 1, ["h2", "f", "v", "cnt", "1"]);
        store.Apply(CommandId.Sadd, 1, ["s", .. items]);
        store.Apply(CommandId.Sadd, 1, ["s2", "1", "2", "3"]);
        store.Apply(CommandId.Zadd, 1, ["z", .. items.SelectMany((e, i) => new[] { (i % 97).ToString(CultureInfo.InvariantCulture), e })]);
        store.Apply(CommandId.Zadd, 1, ["z2", "1", "a", "-0", "b"]);
        store.Apply(CommandId.Zadd, 1, ["z", "-0", "negzero"]);
        store.Apply(CommandId.Set, 1, "str", "text");
        for (var i = 1; i <= 300; i++)
        {
            store.Apply(CommandId.Xadd, 1, "x", i.ToString(CultureInfo.InvariantCulture) + "-1", "f", "v" + i.ToString(CultureInfo.InvariantCulture));
        }

        store.Apply(CommandId.Xgroup, 1, "create", "x", "g", "0");
        store.Apply(CommandId.Xreadgroup, 1, "group", "g", "c1", "count", "40", "streams", "x", ">");
        store.Apply(CommandId.Pexpire, 1, "h", "100000");
        return store;
    }

    private static readonly string[] Keys = ["l", "l2", "h", "h2", "s", "s2", "z", "z2", "str", "x", "absent"];

    private static string RandomCall(Random random)
    {
        string Id() => (1 + random.Next(320)).ToString(CultureInfo.InvariantCulture) + "-1";
        string Member() => "e" + random.Next(Large + 50).ToString(CultureInfo.InvariantCulture);
        string Key() => Keys[random.Next(Keys.Length)];
        string Int(int max) => random.Next(max).ToString(CultureInfo.InvariantCulture);
        var call = random.Next(50) switch
        {
            0 => $"'lpush', 'l', '{Member()}'",
            1 => $"'rpush', 'l', '{Member()}', '{Member()}'",
            2 => "'lpop', 'l'",
            3 => "'rpop', 'l', 3",
            4 => $"'lset', 'l', {Int(Large)}, '{Member()}'",
            5 => $"'linsert', 'l', 'before', '{Member()}', 'inserted'",
            6 => $"'lrem', 'l', {random.Next(3) - 1}, '{Member()}'",
            7 => $"'ltrim', 'l', {Int(5)}, -{1 + random.Next(5)}",
            8 => "'lmove', 'l', 'l2', 'left', 'right'",
            9 => "'rpoplpush', 'l', 'l'",
            10 => $"'hset', 'h', '{Member()}', '{Int(1000)}'",
            11 => $"'hdel', 'h', '{Member()}', '{Member()}'",
            12 => $"'hincrby', 'h', 'counter', {Int(10)}",
            13 => $"'hsetnx', 'h', '{Member()}', 'nx'",
            14 => $"'sadd', 's', '{Member()}', 'new{Int(20)}'",
            15 => $"'srem', 's', '{Member()}'",
            16 => "'spop', 's', 2",
            17 => $"'smove', 's', 's2', '{Member()}'",
            18 => $"'zadd', 'z', {Int(100)}, '{Member()}'",
            19 => $"'zrem', 'z', '{Member()}'",
            20 => $"'zincrby', 'z', {Int(5)}, '{Member()}'",
            21 => "'zpopmin', 'z', 2",
            22 => $"'zremrangebyrank', 'z', {Int(3)}, {Int(3) + 3}",
            23 => $"'zadd', 'z', 'gt', {Int(200)}, '{Member()}'",
            24 => "'zadd', 'z', 0, 'negzero'",
            25 => $"'del', '{Key()}'",
            26 => $"'rename', '{Key()}', '{Key()}'",
            27 => $"'copy', '{Key()}', '{Key()}'",
            28 => $"'expire', '{Key()}', {1 + random.Next(1000)}",
            29 => $"'persist', '{Key()}'",
            30 => $"'set', 'str', '{Member()}'",
            31 => "'xadd', 'x', '*', 'f', 'v'",
            32 => "'xtrim', 'x', 'maxlen', 1",
            33 => $"'sadd', 's2', '{Int(10)}'",
            34 => $"'hset', 'h2', 'f', '{Member()}'",
            35 => $"'zadd', 'z2', {Int(9)}, '{Member()}'",
            36 => $"'lpush', '{Key()}', 'pushed'",
            37 => $"'sinterstore', 's2', 's', 's'",
            38 => $"'zunionstore', 'z', 2, 'z', 'z2'",
            39 => $"'xdel', 'x', '{Id()}', '{Id()}'",
            40 => $"'xtrim', 'x', 'minid', '{Id()}'",
            41 => $"'xtrim', 'x', 'maxlen', '~', {random.Next(300)}",
            42 => "'xreadgroup', 'group', 'g', 'c2', 'count', 3, 'streams', 'x', '>'",
            43 => $"'xack', 'x', 'g', '{Id()}'",
            44 => "'xgroup', 'create', 'x', 'g2', '$'",
            45 => $"'xsetid', 'x', '{Id()}'",
            46 => $"'xadd', 'x', '{Id()}', 'f', 'explicit'",
            47 => "'xgroup', 'destroy', 'x', 'g'",
            48 => $"'xclaim', 'x', 'g', 'c3', 0, '{Id()}'",
            _ => $"'hdel', 'h', 'counter'",
        };
        return $"redis.pcall({call})";
    }

    private static string Everything(KeyValueStore store, long now)
    {
        var text = new StringBuilder();
        foreach (var key in Keys.Concat(["new"]))
        {
            text.Append(key).Append(": ")
                .Append(ReplyText.Render(store.Read(CommandId.Type, [B(key)], now))).Append(' ')
                .Append(ReplyText.Render(store.Read(CommandId.Pttl, [B(key)], now))).Append(' ');
            var type = ReplyText.Render(store.Read(CommandId.Type, [B(key)], now));
            var read = type switch
            {
                "list" => store.Read(CommandId.Lrange, [B(key), B("0"), B("-1")], now),
                "hash" => store.Read(CommandId.Hgetall, [B(key)], now),
                "set" => store.Read(CommandId.Smembers, [B(key)], now),
                "zset" => store.Read(CommandId.Zrange, [B(key), B("0"), B("-1"), B("withscores")], now),
                "stream" => store.Read(CommandId.Xinfo, [B("stream"), B(key), B("full")], now),
                _ => null,
            };
            text.Append(read is null ? "" : ReplyText.Render(read)).Append('\n');
        }

        return text.ToString();
    }

    [Theory]
    [InlineData(1, 20)]
    [InlineData(2, 60)]
    [InlineData(3, 200)]
    [InlineData(4, 1500)]
    [InlineData(5, 3000)]
    public void ARandomScript_StoppedByItsBudget_LeavesEveryKeyAsItWas(int seed, int calls)
    {
        var random = new Random(seed);
        var store = Filled();
        // A committed script first: the collections it tracked must record nothing afterwards.
        var committed = string.Join('\n', Enumerable.Range(0, 50).Select(_ => RandomCall(random)));
        Assert.IsNotType<ErrorReply>(Eval(store, 2, committed + "\nreturn 1"));
        var digest = store.Digest();
        var before = Everything(store, 3);

        var script = string.Join('\n', Enumerable.Range(0, calls).Select(_ => RandomCall(random)));
        var reply = Eval(store, 3, script + "\n" + Bomb);

        Assert.StartsWith("ERR Script exceeded the memory limit", ((ErrorReply)reply).Message, StringComparison.Ordinal);
        Assert.Equal(before, Everything(store, 3));
        Assert.Equal(digest, store.Digest());

        // And the store goes on as before: the same changes outside a script land.
        Assert.Equal("(integer) 1", ReplyText.Render(Eval(store, 4, "return redis.call('hset', 'h', 'after', 'x')")));
    }

    [Fact]
    public void ScriptsWritingToLargeCollections_CopyNone_AndARollbackStillRestoresThem()
    {
        var store = Filled();
        for (var i = 0; i < 100; i++)
        {
            Eval(store, 2, $"redis.call('lpush', 'l', 'p{i}') redis.call('hset', 'h', 'f{i}', 'v') redis.call('sadd', 's', 'm{i}') redis.call('zadd', 'z', {i}, 'e1') redis.call('xadd', 'x', 'maxlen', '~', 250, '*', 'f', 'v') return 1");
        }

        Assert.Equal(0, store.Keys.JournalCopies);
        var before = Everything(store, 3);
        var reply = Eval(store, 3, "redis.call('del', 'l') redis.call('rename', 'h', 'hh') redis.call('srem', 's', 'm1') redis.call('zincrby', 'z', 1, 'e1') " + Bomb);
        Assert.IsType<ErrorReply>(reply);
        Assert.Equal(before, Everything(store, 3));
        Assert.Equal("(integer) 0", ReplyText.Render(store.Read(CommandId.Exists, [B("hh")], 3)));
        Assert.Equal(0, store.Keys.JournalCopies);
    }

    [Fact]
    public void AnOnChange_LikeLinsert_MakesTheListAsItWasOnce_AndLaterStepsStillUndo()
    {
        var store = Filled();
        var before = Everything(store, 2);
        var reply = Eval(store, 2, "redis.call('lpush', 'l', 'a') redis.call('linsert', 'l', 'before', 'e5', 'x') redis.call('rpop', 'l') redis.call('lrem', 'l', 0, 'e7') redis.call('lset', 'l', 0, 'y') " + Bomb);
        Assert.IsType<ErrorReply>(reply);
        Assert.Equal(before, Everything(store, 2));
    }

    // A stream's pre-image is its live entries up to the last id it had, with those removed since: XSETID may lower the
    // last id, after which XADD can add an entry under the old one, so lowering it makes the pre-image at once.
    [Fact]
    public void AStreamWhoseLastIdTheScriptLowered_IsRestoredWithoutTheEntriesAddedUnderIt()
    {
        var store = Filled();
        store.Apply(CommandId.Xdel, 1, "x", "300-1", "299-1");
        var digest = store.Digest();
        var reply = Eval(store, 2, "redis.call('xsetid', 'x', '298-1') redis.call('xadd', 'x', '299-5', 'f', 'v') " + Bomb);
        Assert.IsType<ErrorReply>(reply);
        Assert.Equal(digest, store.Digest());
        Assert.Equal("(integer) 298", ReplyText.Render(store.Read(CommandId.Xlen, [B("x")], 2)));
    }
}
