using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// SCAN's guarantee for SSCAN, HSCAN, ZSCAN and SCAN: an element present from the first call to the last is returned
/// at least once, whatever is added, removed or re-scored between calls, and whichever replica serves each call.
/// The removal scenario is Redis's "SCAN regression test for issue #4906" (tests/unit/scan.tcl).
/// </summary>
public sealed class ElementScanTests
{
    private const int Stable = 100;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var kind in new[] { "set", "hash", "zset", "keys" })
        {
            for (var seed = 1; seed <= 5; seed++)
            {
                data.Add(kind, seed);
            }
        }

        return data;
    }

    // Issue #4906: members 0..99 stay throughout; the rest are all removed at one iteration.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Scan_RemovingMostOtherElementsMidScan_ReturnsEveryElementPresentThroughout(string kind, int seed)
    {
        var random = new Random(seed);
        var store = new KeyValueStore();
        var total = 101 + random.Next(1000);
        Add(store, kind, "x");
        for (var j = 0; j < total; j++)
        {
            Add(store, kind, j.ToString());
        }

        var removeAt = 1 + random.Next(10);
        var seen = ScanAll([store], kind, "10", iteration =>
        {
            if (iteration == removeAt)
            {
                for (var j = Stable; j < total; j++)
                {
                    Remove(store, kind, j.ToString());
                }
            }
        });

        AssertSawStable(seen);
    }

    // A few removals, additions and (for a sorted set) re-scores of stable members between every call.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Scan_WithChurnBetweenEveryCall_ReturnsEveryElementPresentThroughout(string kind, int seed)
    {
        var random = new Random(seed);
        var store = new KeyValueStore();
        for (var j = 0; j < 600; j++)
        {
            Add(store, kind, j.ToString());
        }

        var seen = ScanAll([store], kind, "3", _ => Churn([store], kind, random));
        AssertSawStable(seen);
    }

    // Two replicas with the same contents built in different orders (one restored from a snapshot), receiving the same
    // writes; the calls alternate between them, as a client's do when the leader changes mid-scan.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Scan_ContinuedOnAnotherReplica_ReturnsEveryElementPresentThroughout(string kind, int seed)
    {
        var random = new Random(seed);
        var first = new KeyValueStore();
        var reversed = new KeyValueStore();
        for (var j = 0; j < 600; j++)
        {
            Add(first, kind, j.ToString());
            Add(reversed, kind, (599 - j).ToString());
        }

        var restored = Restore(Snapshot(reversed)).Store;
        var seen = ScanAll([first, restored], kind, "7", _ => Churn([first, restored], kind, random));
        AssertSawStable(seen);
    }

    private static void Churn(KeyValueStore[] replicas, string kind, Random random)
    {
        var removed = (Stable + random.Next(500)).ToString();
        var added = "new" + random.Next(1000);
        var rescored = random.Next(Stable).ToString();
        var score = random.Next(100_000).ToString();
        foreach (var store in replicas)
        {
            Remove(store, kind, removed);
            Add(store, kind, added);
            if (kind == "zset")
            {
                store.Apply(CommandId.Zadd, 1, "z", score, rescored);
            }
        }
    }

    private static HashSet<string> ScanAll(KeyValueStore[] replicas, string kind, string count, Action<int> betweenCalls)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        var iteration = 0;
        do
        {
            var store = replicas[iteration % replicas.Length];
            var reply = (ArrayReply)(kind switch
            {
                "set" => store.Read(CommandId.Sscan, [B("s"), B(cursor), B("COUNT"), B(count)], 1),
                "hash" => store.Read(CommandId.Hscan, [B("h"), B(cursor), B("COUNT"), B(count)], 1),
                "zset" => store.Read(CommandId.Zscan, [B("z"), B(cursor), B("COUNT"), B(count)], 1),
                _ => store.Read(CommandId.Scan, [B(cursor), B("COUNT"), B(count)], 1),
            });
            cursor = Encoding.UTF8.GetString(((BulkReply)reply.Items[0]).Value);
            var items = ((ArrayReply)reply.Items[1]).Items;
            var step = kind is "hash" or "zset" ? 2 : 1;
            for (var i = 0; i < items.Count; i += step)
            {
                seen.Add(Encoding.UTF8.GetString(((BulkReply)items[i]).Value));
            }

            iteration++;
            betweenCalls(iteration);
        }
        while (cursor != "0" && iteration < 100_000);

        Assert.Equal("0", cursor);
        return seen;
    }

    private static void AssertSawStable(HashSet<string> seen)
    {
        var missing = Enumerable.Range(0, Stable).Select(j => j.ToString()).Where(m => !seen.Contains(m)).ToList();
        Assert.True(missing.Count == 0, $"never returned: {string.Join(' ', missing)}");
    }

    private static void Add(KeyValueStore store, string kind, string element)
    {
        _ = kind switch
        {
            "set" => store.Apply(CommandId.Sadd, 1, "s", element),
            "hash" => store.Apply(CommandId.Hset, 1, "h", element, "v" + element),
            "zset" => store.Apply(CommandId.Zadd, 1, "z", element.Length.ToString(), element),
            _ => store.Apply(CommandId.Set, 1, element, "v"),
        };
    }

    private static void Remove(KeyValueStore store, string kind, string element)
    {
        _ = kind switch
        {
            "set" => store.Apply(CommandId.Srem, 1, "s", element),
            "hash" => store.Apply(CommandId.Hdel, 1, "h", element),
            "zset" => store.Apply(CommandId.Zrem, 1, "z", element),
            _ => store.Apply(CommandId.Del, 1, element),
        };
    }
}
