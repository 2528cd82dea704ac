using System.Runtime.CompilerServices;
using System.Text;
using RaftKV.Node.PubSub;
using Xunit.Abstractions;

namespace RaftKV.Node.Tests;

/// <summary>
/// A value of 16 KiB or more is held by the watch history, not copied into it (WatchHistory.Held.cs): each APPEND onto a
/// 10 MB string copied 20 MB into the history on every node (the value and the previous value), and 20,000 APPENDs of
/// 1 KB took 305 s on a 3-node cluster. The history still bounds the heap it keeps alive, held values counted whole.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WatchHistoryHeldTests(ITestOutputHelper output)
{
    private const long Limit = 1 << 20;

    [Fact]
    public void ALongValue_IsHeldNotCopied_AShortOneIsCopied()
    {
        var hub = WatchHistoryMemoryTests.NewHub(Limit);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var longValue = Encoding.ASCII.GetBytes(new string('a', WatchHistory.HeldFrom));
        var shortValue = Encoding.ASCII.GetBytes(new string('b', WatchHistory.HeldFrom - 1));
        WatchHistoryMemoryTests.Feed(hub, values, 1, [B("long")], false, _ => (true, longValue));
        WatchHistoryMemoryTests.Feed(hub, values, 2, [B("short")], false, _ => (true, shortValue));
        WatchHistoryMemoryTests.Feed(hub, values, 3, [B("long")], false, _ => (true, B("after")));

        // The keyspace never changes a value's bytes; this test does, to see which value the history kept a reference to.
        longValue[0] = (byte)'X';
        shortValue[0] = (byte)'X';
        var (changes, _, _) = hub.Read(1, 10);
        Assert.Equal(3, changes.Count);
        Assert.Equal((byte)'X', changes[0].Value![0]);
        Assert.Equal((byte)'b', changes[1].Value![0]);
        Assert.Equal("after", Encoding.ASCII.GetString(changes[2].Value!));
        Assert.Equal(longValue, changes[2].Previous);
        Assert.NotSame(longValue, changes[0].Value); // a watcher gets its own copy
    }

    [Fact]
    public void HeapHeldByTheHistory_AfterManyLongChanges_StaysWithinWatchHistoryBytes()
    {
        // The lesser of the heap with the hub less before it and less after it (WatchHistoryMemoryTests says why).
        var (box, before, floor, kept) = FilledHub();
        var (held, figures) = WatchHistoryMemoryTests.HeapHeld(box, before);
        output.WriteLine($"held {held:N0} bytes under a limit of {Limit:N0} ({figures}); floor {floor:N0}, {kept} changes kept");
        Assert.True(held <= Limit + Limit / 20, $"the history holds {held:N0} bytes of heap under a limit of {Limit:N0}");
        Assert.True(floor > 0, "the oldest changes were trimmed");
        Assert.True(kept >= 8, $"only {kept} changes kept");
    }

    [Fact]
    public void AFlush_LetsGoOfEveryHeldValue_AndLaterLongValuesReadBack()
    {
        var hub = WatchHistoryMemoryTests.NewHub(Limit);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        for (var i = 1; i <= 5; i++)
            WatchHistoryMemoryTests.Feed(hub, values, i, [B("k")], false, _ => (true, Value(i)));
        WatchHistoryMemoryTests.Feed(hub, values, 6, [], true, _ => (false, null));
        for (var i = 7; i <= 9; i++)
            WatchHistoryMemoryTests.Feed(hub, values, i, [B("k")], false, _ => (true, Value(i)));

        var (changes, _, compacted) = hub.Read(6, 10);
        Assert.False(compacted);
        Assert.True(changes[0].Flushed);
        Assert.Equal([7, 8, 9], changes.Skip(1).Select(c => (int)c.Revision));
        Assert.Equal(Value(9), changes[^1].Value);
        Assert.Equal(Value(8), changes[^1].Previous);
        Assert.Null(changes[1].Previous);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (StrongBox<WatchHub?> Box, long Before, long Floor, int Kept) FilledHub()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var hub = WatchHistoryMemoryTests.NewHub(Limit);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        for (var i = 1; i <= 2000; i++)
        {
            var value = Value(i);
            WatchHistoryMemoryTests.Feed(hub, values, i, [B($"key:{i % 10}")], false, _ => (true, value));
        }

        var (changes, _, compacted) = hub.Read(hub.Floor + 1, int.MaxValue);
        Assert.False(compacted);
        Assert.Equal(Value(2000), changes[^1].Value);
        return (new StrongBox<WatchHub?>(hub), before, hub.Floor, changes.Count);
    }

    private static byte[] Value(int i) => Encoding.ASCII.GetBytes(new string((char)('a' + (i % 26)), 40_000));

    private static byte[] B(string text) => Encoding.ASCII.GetBytes(text);
}
