using System.Globalization;
using System.Text;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The keyspace's canonical order (<see cref="KeyOrderIndex"/>, leaves that split and merge) checked against a naive
/// reference: every key sorted by (position, ordinal bytes) after each round of random puts and removes. KEYS, SCAN
/// cursors and snapshot bytes all follow this order, so any slip here changes replies and replicated state.
/// </summary>
public sealed class KeyOrderIndexTests
{
    private static readonly StringValue Value = StringValue.Of([1]);

    [Theory]
    [InlineData(1, 3_000)]
    [InlineData(2, 600)]
    [InlineData(3, 20_000)]
    public void RandomPutsAndRemoves_KeepTheCanonicalOrder(int seed, int keySpace)
    {
        var random = new Random(seed);
        var table = new KeyTable();
        var reference = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 40; round++)
        {
            // Rounds lean towards growing, then towards shrinking, so leaves split, empty and merge.
            var growing = round % 10 < 6;
            for (var i = 0; i < keySpace / 4; i++)
            {
                var key = "k" + random.Next(keySpace).ToString(CultureInfo.InvariantCulture);
                if (random.Next(100) < (growing ? 75 : 20))
                {
                    table.Put(Encoding.ASCII.GetBytes(key), Value, KeyEntry.NoExpiry);
                    reference.Add(key);
                }
                else
                {
                    Assert.Equal(reference.Remove(key), table.Remove(Encoding.ASCII.GetBytes(key)));
                }
            }

            AssertSameOrder(table, reference, random);
        }
    }

    [Fact]
    public void KeysAddedInCanonicalOrder_ThenMostlyRemoved_KeepTheOrder()
    {
        // A snapshot load adds keys in canonical order: full leaves, appended one after another.
        var keys = Enumerable.Range(0, 5_000).Select(static i => "key:" + i.ToString(CultureInfo.InvariantCulture))
            .OrderBy(static k => KeyEntry.PositionOf(Encoding.ASCII.GetBytes(k)))
            .ToList();
        var table = new KeyTable();
        foreach (var key in keys)
        {
            table.Put(Encoding.ASCII.GetBytes(key), Value, KeyEntry.NoExpiry);
        }

        var reference = keys.ToHashSet(StringComparer.Ordinal);
        var random = new Random(7);
        AssertSameOrder(table, reference, random);
        foreach (var key in keys.Where((_, i) => i % 7 != 0))
        {
            Assert.True(table.Remove(Encoding.ASCII.GetBytes(key)));
            reference.Remove(key);
        }

        AssertSameOrder(table, reference, random);
    }

    [Fact]
    public void ChangeDuringEnumeration_Throws()
    {
        var table = new KeyTable();
        for (var i = 0; i < 10; i++)
        {
            table.Put(Encoding.ASCII.GetBytes("k" + i.ToString(CultureInfo.InvariantCulture)), Value, KeyEntry.NoExpiry);
        }

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var entry in table.InOrder())
            {
                table.Put(Encoding.ASCII.GetBytes("new"), Value, KeyEntry.NoExpiry);
            }
        });
    }

    private static void AssertSameOrder(KeyTable table, HashSet<string> reference, Random random)
    {
        var expected = reference
            .Select(static k => (Position: KeyEntry.PositionOf(Encoding.ASCII.GetBytes(k)), Key: Encoding.ASCII.GetBytes(k)))
            .OrderBy(static e => e.Position)
            .ThenBy(static e => e.Key, ByteStringComparer.Instance)
            .ToList();
        Assert.Equal(expected.Count, table.Count);
        Assert.Equal(expected.Select(static e => Encoding.ASCII.GetString(e.Key)), table.InOrder().Select(static e => Encoding.ASCII.GetString(e.Key)));
        for (var i = 0; i < 50 && expected.Count > 0; i++)
        {
            var index = i < 2 ? (i == 0 ? 0 : expected.Count - 1) : random.Next(expected.Count);
            Assert.Equal(expected[index].Key, table.EntryAt(index).Key);
        }

        // From a random position, from an existing key's position, and past the end.
        var probes = new List<ulong> { 0, ulong.MaxValue, (ulong)random.NextInt64() * 2 };
        if (expected.Count > 0)
        {
            probes.Add(expected[random.Next(expected.Count)].Position);
        }

        foreach (var position in probes)
        {
            Assert.Equal(
                expected.Where(e => e.Position >= position).Select(static e => Encoding.ASCII.GetString(e.Key)),
                table.InOrderFrom(position).Select(static e => Encoding.ASCII.GetString(e.Key)));
        }
    }
}
