using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// LTRIM pops the elements it drops from both ends of the list's ring (ListValue.Keep) instead of copying the kept ones
/// into a new array: random pushes at both ends, pops and trims (a capped list's LPUSH and LTRIM among them) must leave
/// what a plain list leaves, through a snapshot too, and a list trimmed from large to small reads right as it grows again.
/// </summary>
public sealed class ListTrimTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PushesPopsAndTrims_LeaveWhatAPlainListLeaves(int seed)
    {
        var random = new Random(seed);
        var store = new KeyValueStore();
        var model = new List<string>();
        for (var step = 0; step < 4000; step++)
        {
            var value = "v" + step.ToString(CultureInfo.InvariantCulture);
            switch (random.Next(8))
            {
                case 0 or 1 or 2:
                    store.Apply(new LogCommand(CommandId.Lpush, 1, 0, [B("l"), B(value)]));
                    model.Insert(0, value);
                    break;
                case 3:
                    var values = Enumerable.Range(0, random.Next(1, 300)).Select(i => value + "." + i.ToString(CultureInfo.InvariantCulture)).ToList();
                    store.Apply(new LogCommand(CommandId.Rpush, 1, 0, [B("l"), .. values.Select(B)]));
                    model.AddRange(values);
                    break;
                case 4:
                    if (model.Count > 0)
                    {
                        store.Apply(new LogCommand(CommandId.Rpop, 1, 0, [B("l")]));
                        model.RemoveAt(model.Count - 1);
                    }

                    break;
                default:
                    // A capped list's trim, or any range (negative indexes and out-of-range ends included).
                    long start = random.Next(3) == 0 ? 0 : random.Next(-50, 50);
                    long end = random.Next(3) == 0 ? 99 : random.Next(-50, 400);
                    store.Apply(new LogCommand(CommandId.Ltrim, 1, 0, [B("l"), B(start.ToString(CultureInfo.InvariantCulture)), B(end.ToString(CultureInfo.InvariantCulture))]));
                    model = Trimmed(model, start, end);
                    break;
            }

            if (step % 200 == 0)
                Assert.Equal(model, Elements(store));
        }

        Assert.Equal(model, Elements(store));
        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        Assert.Equal(model, Elements(restored));
    }

    // LTRIM's range as Redis resolves it: negative indexes from the end, clamped; an empty range deletes the list.
    private static List<string> Trimmed(List<string> list, long start, long end)
    {
        long count = list.Count;
        if (start < 0) start = Math.Max(0, count + start);
        if (end < 0) end = count + end;
        end = Math.Min(end, count - 1);
        return start > end || start >= count ? [] : list.GetRange((int)start, (int)(end - start + 1));
    }

    private static List<string> Elements(KeyValueStore store) =>
        store.Read(CommandId.Lrange, [B("l"), B("0"), B("-1")], 1) is ArrayReply array
            ? [.. array.Items.Select(item => System.Text.Encoding.ASCII.GetString(((BulkReply)item).Value))]
            : [];
}
