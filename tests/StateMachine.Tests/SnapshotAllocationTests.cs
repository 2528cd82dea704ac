using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Tests.Support;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Issue 6: a snapshot of 1M keys allocated 50-130 MB of garbage (copies of every hash field, sorted copies of sets),
/// and the collections it caused paused every thread for up to 0.5 s on a large heap. A slice must allocate a bounded
/// amount whatever the number and the kinds of its keys. Counts bytes allocated by this thread, not time.
/// </summary>
public sealed class SnapshotAllocationTests
{
    // Bytes per slice left for the range view over the key order and its enumerator; a per-key allocation of even 16
    // bytes over a slice of 2,048 keys would be 32 KiB.
    private const long MaxBytesPerSlice = 8 * 1024;

    [Fact]
    public void Slices_OfEveryValueRepresentation_AllocateABoundedAmountPerSlice()
    {
        var store = MixedStore(keys: 60_000);
        var expected = StoreBuilder.Snapshot(store, index: 1, term: 1);
        var snapshot = store.BeginSnapshot(1, 1);
        using var output = new MemoryStream(expected.Length);

        // The first slices fill the array pool with the chunks that hold a slice's bytes.
        for (var i = 0; i < 3; i++)
        {
            snapshot.Advance(2048);
            snapshot.Drain(output);
        }

        var slices = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        bool complete;
        do
        {
            complete = snapshot.Advance(2048);
            snapshot.Drain(output);
            slices++;
        }
        while (!complete);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(slices > 20, $"only {slices} slices");
        Assert.True(allocated <= MaxBytesPerSlice * slices, $"{allocated} bytes over {slices} slices ({allocated / slices} per slice)");
        Assert.Equal(expected, output.ToArray());
    }

    // A fifth each of strings, hashes, lists, sets and sorted sets, in both representations of each collection.
    private static KeyValueStore MixedStore(int keys)
    {
        var store = new KeyValueStore();
        for (var i = 0; i < keys; i++)
        {
            var key = "key:" + i.ToString(CultureInfo.InvariantCulture);
            var value = i % 10 < 5 ? "v" + i.ToString(CultureInfo.InvariantCulture) : new string('x', 80);
            var number = (i % 1000 - 500).ToString(CultureInfo.InvariantCulture);
            switch (i % 5)
            {
                case 0:
                    store.Apply(CommandId.Set, 1, key, value);
                    break;
                case 1:
                    store.Apply(CommandId.Hset, 1, key, "f2", value, "f1", value, "f10", "x", "f0", value);
                    break;
                case 2:
                    store.Apply(CommandId.Rpush, 1, key, value, value, "x", value);
                    break;
                case 3:
                    store.Apply(CommandId.Sadd, 1, key, number, i % 10 < 5 ? "-7" : value, "12", "3");
                    break;
                default:
                    store.Apply(CommandId.Zadd, 1, key, "2", "a" + value, "1", "b" + value, "1", "c", "0", value);
                    break;
            }
        }

        return store;
    }
}
