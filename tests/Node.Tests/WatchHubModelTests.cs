using System.Text;
using RaftKV.Node.PubSub;

namespace RaftKV.Node.Tests;

/// <summary>
/// WatchHub against a deliberately naive model of what a watcher must read: every change kept in a list, the previous
/// value being the value of the key's last change (the string it held before the command, which the state machine gives
/// the hub), whether or not that change is still kept. Random commands (repeated keys, deletes, other types, flushes; keys
/// and values from empty to longer than the hub's 16 KiB chunks) are fed to both, and the hub's reads are compared.
/// </summary>
public sealed class WatchHubModelTests
{
    private sealed record Expected(long Revision, string Key, bool Deleted, string? Value, bool Exists, string? Previous, bool Flushed);

    // What the model knows of a change beyond what a watcher sees: the key's value after its last change before it.
    private sealed record Entry(Expected Seen, string? LastValue);

    // With room for everything: every read equals the model's, previous values included.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Reads_WithoutTrimming_EqualTheModel(int seed)
    {
        var random = new Random(seed);
        var hub = WatchHistoryMemoryTests.NewHub(1L << 30);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var model = new List<Entry>();
        long revision = 100;
        for (var command = 0; command < 3000; command++)
        {
            revision += 1 + random.Next(3);
            Apply(hub, values, model, random, revision);
            if (command % 97 == 0)
                CompareReads(hub, model, random, revision);
        }

        CompareReads(hub, model, random, revision);
    }

    // Under a 1 MiB limit: what is kept after the floor equals the model's changes after it, previous values included
    // (also where the key's previous change was trimmed: they come with the change, not from the history); a start at
    // or below the floor is compacted, or answered with the flush marker that cut the history.
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Reads_WithTrimming_EqualTheModelAfterTheFloor(int seed)
    {
        var random = new Random(seed);
        var hub = WatchHistoryMemoryTests.NewHub(1 << 20);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var model = new List<Entry>();
        long revision = 0;
        for (var command = 0; command < 6000; command++)
        {
            revision += 1 + random.Next(3);
            Apply(hub, values, model, random, revision);
            if (command % 211 != 0)
                continue;
            var floor = hub.Floor;
            Assert.True(floor < revision);
            var (changes, _, compacted) = hub.Read(floor + 1, int.MaxValue);
            Assert.False(compacted);
            var kept = model.Where(e => e.Seen.Revision > floor).ToList();
            Assert.Equal(kept.Select(e => e.Seen), changes.Select(Describe));
            foreach (var (entry, change) in kept.Zip(changes))
                Assert.Equal(entry.LastValue, Text(change.Previous));

            Assert.Equal(revision, hub.Revision);
            var before = hub.Read(floor, 10);
            if (before.Compacted)
                Assert.Empty(before.Changes);
            else
                Assert.True(Assert.Single(before.Changes).Flushed);
        }
    }

    // A read copies the changes out under the lock the apply path waits for: past about 4 MiB it stops at the end of
    // a revision (never inside one), and the next read goes on from there.
    [Fact]
    public void Read_OfLargeValues_StopsAtTheEndOfARevisionPastAbout4MiB_AndTheNextReadGoesOn()
    {
        var hub = WatchHistoryMemoryTests.NewHub(1L << 30);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var value = new byte[1 << 20];
        for (var revision = 1; revision <= 10; revision++)
            WatchHistoryMemoryTests.Feed(hub, values, revision, [Encoding.ASCII.GetBytes($"a{revision}"), Encoding.ASCII.GetBytes($"b{revision}")], false, _ => (true, value));

        var first = hub.Read(1, 1000).Changes;
        Assert.Equal([1, 1, 2, 2], first.Select(static c => (int)c.Revision));
        var rest = hub.Read(first[^1].Revision + 1, 1000).Changes;
        Assert.Equal(3, rest[0].Revision);
        Assert.All(first.Concat(rest), static c => Assert.Equal(1 << 20, c.Value!.Length));
    }

    // One command at revision: 1 to 4 keys (a key may repeat), each set to a string of random length, deleted, or
    // turned into another type; sometimes a flush first. The model records what a watcher must see.
    private static void Apply(WatchHub hub, Dictionary<string, byte[]?> values, List<Entry> model, Random random, long revision)
    {
        var flushed = random.Next(500) == 0;
        if (flushed)
        {
            model.Clear();
            model.Add(new Entry(new Expected(revision, "", false, null, false, null, true), null));
        }

        var keys = new List<byte[]>();
        var state = new Dictionary<string, (bool Exists, byte[]? Value)>(StringComparer.Ordinal);
        for (var i = random.Next(flushed ? 0 : 1, 5); i > 0; i--)
        {
            var name = random.Next(20) == 0 ? "" : "k" + random.Next(200) + (random.Next(50) == 0 ? new string('K', 20_000) : "");
            keys.Add(Encoding.ASCII.GetBytes(name));
            if (state.ContainsKey(name))
                continue;
            state[name] = random.Next(10) switch
            {
                0 => (false, null),
                1 => (true, null),
                _ => (true, Encoding.ASCII.GetBytes(new string((char)('a' + random.Next(26)), random.Next(50) == 0 ? 40_000 : random.Next(40)))),
            };
            var last = model.LastOrDefault(e => e.Seen.Key == name && !e.Seen.Flushed)?.Seen;
            var (exists, value) = state[name];
            model.Add(new Entry(new Expected(revision, name, !exists, Text(value), exists, last?.Value, false), last?.Value));
        }

        WatchHistoryMemoryTests.Feed(hub, values, revision, keys, flushed, key => state[Encoding.ASCII.GetString(key)]);
    }

    private static void CompareReads(WatchHub hub, List<Entry> model, Random random, long revision)
    {
        var first = model.Count > 0 ? model[0].Seen.Revision : revision;
        for (var i = 0; i < 5; i++)
        {
            var from = first + random.NextInt64(revision - first + 2);
            var max = random.Next(1, 50);
            var (changes, _, compacted) = hub.Read(from, max);
            Assert.False(compacted);
            var expected = new List<Expected>();
            foreach (var change in model.Select(e => e.Seen).Where(e => e.Revision >= from))
            {
                if (expected.Count >= max && change.Revision != expected[^1].Revision)
                    break;
                expected.Add(change);
            }

            Assert.Equal(expected, changes.Select(Describe));
        }
    }

    private static Expected Describe(WatchHub.Change change)
    {
        Assert.Equal(change.HasPrevious, change.Previous is not null);
        return new Expected(change.Revision, Encoding.ASCII.GetString(change.Key), change.Deleted, Text(change.Value), change.Exists, Text(change.Previous), change.Flushed);
    }

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.ASCII.GetString(bytes);
}
