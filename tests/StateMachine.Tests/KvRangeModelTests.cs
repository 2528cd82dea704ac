using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Text;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// RAFTKV.KV.RANGE and DELETE PREFIX walk the keys' ordinal order (KeyTable.KeysFrom, kept in step once built) instead of
/// the whole keyspace per page. Checked against a sorted model through puts, deletes, other types, expiries, FLUSHALL
/// and prefix deletes: every page has the keys the model has under the prefix after the cursor, in byte order.
/// </summary>
public sealed class KvRangeModelTests
{
    private static readonly string[] Prefixes = ["", "a", "app/", "app/config/", "app/config/x", "b\u00ff", "zz"];

    private static string RandomKey(Random random) =>
        Prefixes[random.Next(Prefixes.Length)] + (random.Next(3) switch { 0 => "", 1 => "k", _ => "n" + random.Next(60).ToString(CultureInfo.InvariantCulture) });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Pages_MatchASortedModel_ThroughChanges(int seed)
    {
        var random = new Random(seed);
        var store = new KeyValueStore();
        var model = new SortedDictionary<byte[], byte[]>(ByteStringComparer.Instance);
        long now = 1000;
        for (var step = 0; step < 3000; step++)
        {
            var key = B(RandomKey(random));
            switch (random.Next(12))
            {
                case < 5:
                    var value = B("v" + step.ToString(CultureInfo.InvariantCulture));
                    store.Apply(new LogCommand(CommandId.RaftkvKvPut, now, 0, [key, value]));
                    model[key] = value;
                    break;
                case < 7:
                    store.Apply(new LogCommand(CommandId.Del, now, 0, [key]));
                    model.Remove(key);
                    break;
                case 7:
                    store.Apply(new LogCommand(CommandId.Sadd, now, 0, [key, B("m")]));
                    model.TryAdd(key, []);
                    break;
                case 8:
                    var prefix = B(Prefixes[random.Next(Prefixes.Length)]);
                    var deleted = ((IntegerReply)((ArrayReply)store.Apply(new LogCommand(CommandId.RaftkvKvDelete, now, 0, [B("PREFIX"), B("NOPREV"), prefix]))).Items[0]).Value;
                    var gone = model.Keys.Where(k => k.AsSpan().StartsWith(prefix)).ToList();
                    Assert.Equal(gone.Count, deleted);
                    gone.ForEach(k => model.Remove(k));
                    break;
                case 9 when step % 500 == 9:
                    store.Apply(new LogCommand(CommandId.Flushall, now, 0, []));
                    model.Clear();
                    break;
                default:
                    Check(store, model, random, now);
                    break;
            }
        }

        Check(store, model, random, now);
    }

    private static void Check(KeyValueStore store, SortedDictionary<byte[], byte[]> model, Random random, long now)
    {
        var prefix = B(Prefixes[random.Next(Prefixes.Length)]);
        var after = random.Next(2) == 0 ? [] : B(RandomKey(random));
        var limit = 1 + random.Next(7);
        var expected = model.Where(p => p.Key.AsSpan().StartsWith(prefix) && p.Value.Length > 0
            && (after.Length == 0 || ByteStringComparer.Instance.Compare(p.Key, after) > 0)).Select(p => p.Key).ToList();
        var reply = (ArrayReply)store.Read(CommandId.RaftkvKvRange, [prefix, after, B(limit.ToString(CultureInfo.InvariantCulture))], now);
        var items = ((ArrayReply)reply.Items[2]).Items.Select(item => ((BulkReply)((ArrayReply)item).Items[0]).Value).ToList();
        Assert.Equal(expected.Take(limit).ToList(), items);
        Assert.Equal(expected.Count > limit ? 1 : 0, ((IntegerReply)reply.Items[1]).Value);
    }
}
