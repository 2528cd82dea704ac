using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Keyspace notifications at apply, family by family, against what redis-server 7.0.15 publishes for the same commands:
/// each expected list was recorded from a real redis-server (notify-keyspace-events EA, a PSUBSCRIBE on
/// <c>__keyevent@0__:*</c>, one "event key" per message, in order).
/// </summary>
public sealed class KeyspaceNotificationTests
{
    private const long Now = 1_000_000;

    [Theory]
    [InlineData("generic",
        "set a 1;expire a 100;persist a;rename a b;copy b c;set d x;copy b d replace;del b c nokey;expire d -1;restore r 0 $DUMP;restore r 0 $DUMP replace;restore r 1 $DUMP replace absttl;getdel r;set e 1;getdel e",
        "set a|expire a|persist a|rename_from a|rename_to b|copy_to c|set d|copy_to d|del b|del c|del d|restore r|restore r|del r|set e|del e")]
    [InlineData("string",
        "set s 1;set s 2 px 100000;setex t 100 v;getset s 3;setnx u 1;mset m1 1 m2 2;append s x;setrange s 0 ab;setrange s 0 $EMPTY;incr i;decrby i 5;incrbyfloat f 1.5;setbit b 3 1;setbit b 3 1;bitop or o b;bitop and o missing;bitfield bf set u8 0 1 get u8 0;bitfield bf overflow fail incrby u8 0 300;pfadd h a;pfadd h a;pfmerge h2 h;getex s px 100000;getex s persist;getex s persist;getex s pxat 1",
        "set s|set s|expire s|set t|expire t|set s|set u|set m1|set m2|append s|setrange s|incrby i|incrby i|incrbyfloat f|setbit b|set o|del o|setbit bf|pfadd h|pfadd h2|expire s|persist s|del s")]
    [InlineData("list",
        "lpush l a b c;rpush l d;lpushx nol a;lpop l;rpop l 1;linsert l before b z;lset l 0 q;lrem l 0 q;lmove l l2 left right;ltrim l 5 10;rpush l3 1 2;lmpop 1 l3 left count 5;rpush s1 3 1 2;sort s1 store ss;sort nolist store ss",
        "lpush l|rpush l|lpop l|rpop l|linsert l|lset l|lrem l|rpush l2|lpop l|ltrim l|del l|rpush l3|lpop l3|del l3|rpush s1|sortstore ss|del ss")]
    [InlineData("set",
        "sadd s a b c;sadd s a;srem s a;smove s s2 b;sadd s3 x y;sinterstore d s s3;sunionstore d s s3;sdiffstore d s s;spop s;sadd p 1 2 3;spop p 2;spop p 5",
        "sadd s|srem s|srem s|sadd s2|sadd s3|sunionstore d|del d|spop s|del s|sadd p|spop p|spop p|del p")]
    [InlineData("zset",
        "zadd z 1 a 2 b 3 c;zadd z nx 1 a;zincrby z 5 a;zrem z a;zremrangebyscore z 0 2;zadd z 1 a 2 b;zremrangebyrank z 0 0;zadd z 0 x 0 y;zremrangebylex z [x [y;zadd z2 1 m;zunionstore u 2 z z2;zinterstore u 2 z z2;zdiffstore u 1 z;zrangestore r z 0 -1;zpopmin z;zpopmax u;geoadd g 13.36 38.11 p;geosearchstore gs g fromlonlat 13.36 38.11 byradius 10 km;georadius g 13.36 38.11 10 km store gr",
        "zadd z|zincr z|zrem z|zremrangebyscore z|zadd z|zremrangebyrank z|zadd z|zadd z2|zunionstore u|del u|zdiffstore u|zrangestore r|zpopmin z|zpopmax u|zadd g|geosearchstore gs|georadiusstore gr")]
    [InlineData("hash",
        "hset h a 1 b 2;hsetnx h a 1;hsetnx h c 1;hincrby h n 1;hincrbyfloat h f 1.5;hdel h x;hdel h a b c n f",
        "hset h|hset h|hincrby h|hincrbyfloat h|hdel h|del h")]
    [InlineData("stream",
        "xadd x 1-0 f v;xadd x maxlen 1 2-0 f v;xgroup create x g $;xgroup create y g $ mkstream;xgroup createconsumer x g c;xgroup createconsumer x g c;xreadgroup group g c2 streams x >;xadd x 3-0 f v;xreadgroup group g c3 streams x >;xclaim x g c4 0 3-0;xgroup setid x g 0;xgroup delconsumer x g c;xgroup destroy x g;xdel x 3-0;xtrim x maxlen 0;xsetid x 9-0",
        "xadd x|xadd x|xtrim x|xgroup-create x|xgroup-create y|xgroup-createconsumer x|xadd x|xgroup-createconsumer x|xgroup-createconsumer x|xgroup-setid x|xgroup-delconsumer x|xgroup-destroy x|xdel x|xtrim x|xsetid x")]
    public void Commands_PublishRedisKeyeventNotifications(string family, string commands, string expected)
    {
        var store = Enabled("EA");
        Assert.Equal(expected, string.Join('|', Run(store, commands)));
        Assert.NotEmpty(family);
    }

    [Fact]
    public void NewKeys_AreReportedOnlyWhenAdded_AsRedisDbAdd()
    {
        var store = Enabled("En");
        Assert.Equal("new n|new nl|new n", string.Join('|', Run(store, "set n 1;set n 2;lpush nl a;rename nl n")));
    }

    /// <summary>What redis-server 7.0.15's CONFIG GET answers after CONFIG SET of each value (recorded from one).</summary>
    [Theory]
    [InlineData("KEA", "AKE")]
    [InlineData("gKE", "gKE")]
    [InlineData("$lshzxeKE", "$lshzxeKE")]
    [InlineData("KA", "AK")]
    [InlineData("En", "nE")]
    [InlineData("AKEn", "AKE")]
    [InlineData("gx$", "g$x")]
    [InlineData("lhsz", "lshz")]
    [InlineData("KEm", "KEm")]
    [InlineData("Ag$lshzxeKEtmdn", "AKEm")]
    [InlineData("", "")]
    public void ConfigGet_ReportsRedisNormalForm(string set, string reported)
    {
        Assert.Equal(reported, Enabled(set).Config.Get("notify-keyspace-events"));
    }

    /// <summary>
    /// Redis's normal form drops 'n' next to 'A' (CONFIG GET of "AKEn" reads "AKE") but keeps the class on: new keys are
    /// still reported, here too, also after a snapshot.
    /// </summary>
    [Fact]
    public void NewClass_SetWithA_StaysOn_ThoughConfigGetOmitsIt()
    {
        var store = Enabled("AEn");
        Assert.Equal("AE", store.Config.Get("notify-keyspace-events"));
        Assert.Equal("new k|set k", string.Join('|', Run(store, "set k v")));
        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal("new j|set j", string.Join('|', Run(restored, "set j v")));
    }

    [Fact]
    public void Keyspace_AndKeyevent_GoOnTheirOwnChannels_EventBeforeKeyevent()
    {
        var store = Enabled("KEA");
        store.Apply(CommandId.Set, Now, "k", "v");
        var messages = store.TakePublished().Select(m => Encoding.UTF8.GetString(m.Channel) + " " + Encoding.UTF8.GetString(m.Message));
        Assert.Equal(["__keyspace@0__:k set", "__keyevent@0__:set k"], messages);
    }

    [Fact]
    public void MaskedClasses_PublishNothing_AndOff_PublishesNothing()
    {
        var store = Enabled("Kl");
        Assert.Empty(Run(store, "set k v;hset h f v;del k"));
        Assert.Equal(["__keyspace@0__:l lpush"], Run(store, "lpush l a"));

        var off = new KeyValueStore();
        off.Apply(CommandId.Set, Now, "k", "v");
        off.Apply(CommandId.Del, Now, "k");
        Assert.Empty(off.TakePublished());
    }

    [Fact]
    public void ExpirySweep_AndAWriteFindingItsKeyExpired_ReportExpired()
    {
        var store = Enabled("Ex");
        store.Apply(CommandId.Set, Now, "a", "1", "px", "10");
        store.Apply(CommandId.Set, Now, "b", "1", "px", "10");
        store.TakePublished();
        store.Apply(CommandId.ExpireSweep, Now + 100, "a");
        store.Apply(CommandId.Lpush, Now + 100, "b", "x");
        Assert.Equal("expired a|expired b", string.Join('|', Events(store)));
    }

    [Fact]
    public void Locks_ReportAcquireRefreshRelease_OnTheLockName()
    {
        var store = Enabled("Eg");
        Assert.Equal("lock_acquire L|lock_refresh L|lock_release L",
            string.Join('|', Run(store, "raftkv.lock.acquire L o 1000;raftkv.lock.acquire L other 1000;raftkv.lock.refresh L o 1000;raftkv.lock.release L o;raftkv.lock.release L o")));
    }

    [Fact]
    public void Transaction_PublishesItsCommandsEvents_InOrder()
    {
        var store = Enabled("EA");
        var inner = new[] { new LogCommand(CommandId.Set, Now, 0, [B("a"), B("1")]), new LogCommand(CommandId.Incr, Now, 0, [B("a")]), new LogCommand(CommandId.Del, Now, 0, [B("a")]) };
        var entry = Transactions.TransactionEntry.Encode(Now, 0, [], inner);
        store.ApplyTransaction(entry, 5, 0);
        Assert.Equal("set a|incrby a|del a", string.Join('|', Events(store)));
    }

    [Fact]
    public void Script_PublishesItsWritesEvents_InterleavedWithItsPublish()
    {
        var store = Enabled("EA");
        store.Apply(CommandId.Eval, Now, "redis.call('set', KEYS[1], 'v'); redis.call('publish', 'ch', 'm'); redis.call('del', KEYS[1])", "1", "k");
        var messages = store.TakePublished().Select(m => Encoding.UTF8.GetString(m.Channel) + " " + Encoding.UTF8.GetString(m.Message));
        Assert.Equal(["__keyevent@0__:set k", "ch m", "__keyevent@0__:del k"], messages);
    }

    [Fact]
    public void Flags_SurviveASnapshot()
    {
        var store = Enabled("KEA");
        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal("AKE", restored.Config.Get("notify-keyspace-events"));
        restored.Apply(CommandId.Set, Now, "k", "v");
        Assert.Equal(2, restored.TakePublished().Count);
    }

    private static KeyValueStore Enabled(string flags)
    {
        var store = new KeyValueStore();
        Assert.Equal(Reply.Ok, store.Apply(CommandId.ConfigSet, Now, "notify-keyspace-events", flags));
        return store;
    }

    private static List<string> Run(KeyValueStore store, string commands)
    {
        store.TakePublished();
        store.Apply(CommandId.Set, Now, "tmp", "v");
        var dump = ((BulkReply)store.Read(CommandId.Dump, [B("tmp")], Now)).Value;
        store.Apply(CommandId.Del, Now, "tmp");
        store.TakePublished();
        foreach (var line in commands.Split(';'))
        {
            var words = line.Split(' ');
            Assert.True(CommandTable.TryGet(B(words[0]), out var spec), words[0]);
            var args = words.Skip(1).Select(w => w switch { "$DUMP" => dump, "$EMPTY" => [], _ => B(w) }).ToArray();
            store.Apply(new LogCommand(spec.Id, Now, 0, args));
        }

        return Events(store);
    }

    private static List<string> Events(KeyValueStore store) =>
        [.. store.TakePublished().Select(m => Encoding.UTF8.GetString(m.Channel).Replace("__keyevent@0__:", "", StringComparison.Ordinal) + " " + Encoding.UTF8.GetString(m.Message))];
}
