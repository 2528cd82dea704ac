using System.Buffers.Binary;
using System.Globalization;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The canonical form of every value representation (snapshots and digests): pinned by a golden checksum over a store
/// holding each representation, and checked against a naive reference encoder built on the values' public views
/// (CanonicalPairs, Canonical, All), which copy and sort where <see cref="StoredValue.WriteCanonical"/> must not.
/// </summary>
public sealed class CanonicalFormTests
{
    // The snapshot of RepresentationsStore (length, then its trailing XxHash64): bytes on disk; a change needs a new
    // format version. Taken with the encoders as they were before they stopped allocating (issue 6), in version 1;
    // version 5 differs only by its version number, the (empty) configuration section after the header, each key's
    // revision, and the (empty) lock, revision (no tombstone), script, function and cluster secret sections, which the
    // test takes off to compare.
    private const int GoldenLength = 13948;
    private const string GoldenChecksum = "B2A2C5A820B2C742";

    // The whole version 6 snapshot of RepresentationsStore: its canonical forms above, each string after its encoding byte,
    // each set, hash and sorted set after its representation byte, and the listpack hash's pairs in its insertion order.
    private const int Version6Length = 14156;
    private const string Version6Checksum = "F7FDB6FD15160F16";
    private const int EmptyLockSectionLength = 16;
    private const int EmptyScriptSectionLength = 4;
    private const int EmptyFunctionSectionLength = 4;
    private const int EmptySecretSectionLength = 4;
    private const int HeaderLength = 42;
    private const int EmptyConfigSectionLength = 4;
    private const int RevisionSectionLength = 8 + 4;

    // Not bootstrapped, last generation, one user: "default", its generation and "on nopass ~* &* +@all".
    private const int DefaultAclSectionLength = 1 + 8 + 4 + (4 + 7) + 8 + (4 + 21);

    [Fact]
    public void Snapshot_OfEveryRepresentation_MatchesGoldenChecksum()
    {
        var store = RepresentationsStore();
        var bytes = Snapshot(store);
        Assert.Equal(6, bytes[8]);
        Assert.Equal((Version6Length, Version6Checksum), (bytes.Length, Convert.ToHexString(bytes[^8..])));
        var aclStart = bytes.Length - sizeof(ulong) - DefaultAclSectionLength;
        var keysEnd = aclStart - EmptyLockSectionLength - RevisionSectionLength - EmptyScriptSectionLength
            - EmptyFunctionSectionLength - EmptySecretSectionLength;
        Assert.All(bytes[keysEnd..aclStart], static b => Assert.Equal(0, b));
        Assert.All(bytes[HeaderLength..(HeaderLength + EmptyConfigSectionLength)], static b => Assert.Equal(0, b));

        // Each key's record without its 8-byte revision, which follows the key string, the kind and the expiry, and with
        // its value's canonical form (version 6 writes a collection's representation first, and a listpack hash's order).
        var keys = new List<byte>();
        var at = HeaderLength + EmptyConfigSectionLength;
        foreach (var entry in store.Keys.InOrder())
        {
            var length = RaftKV.StateMachine.Snapshots.SnapshotEncoding.EncodeEntry(entry).Length;
            var head = sizeof(int) + entry.KeySpan.Length + 1 + sizeof(long);
            keys.AddRange(bytes[at..(at + head)]);
            keys.AddRange(Canonical(entry.Value));
            at += length;
        }

        Assert.Equal(keysEnd, at);
        byte[] version1 = [.. bytes[..HeaderLength], .. keys];
        version1[8] = 1;
        Span<byte> checksum = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, System.IO.Hashing.XxHash64.HashToUInt64(version1));
        Assert.Equal((GoldenLength, GoldenChecksum), (version1.Length + sizeof(ulong), Convert.ToHexString(checksum)));
    }

    [Fact]
    public void WriteCanonical_EveryRepresentation_MatchesTheReferenceEncoding()
    {
        foreach (var entry in RepresentationsStore().Keys.InOrder())
        {
            Assert.Equal(Reference(entry.Value), Canonical(entry.Value));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void WriteCanonical_RandomValues_MatchesTheReferenceEncoding(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var count = random.Next(1, 300);
            var hash = new HashValue();
            var set = new SetValue();
            var zset = new SortedSetValue();
            var longStrings = random.Next(4) == 0;
            var onlyIntegers = random.Next(2) == 0;
            for (var i = 0; i < count; i++)
            {
                var member = RandomMember(random, longStrings);
                hash.Set(member, RandomMember(random, longStrings));
                set.Add(!onlyIntegers && random.Next(3) == 0 ? member : RedisIntegers.Format(RandomInteger(random)));
                zset.Set(member, random.Next(5) - 2);
            }

            foreach (var value in new StoredValue[] { hash, set, zset })
            {
                Assert.Equal(Reference(value), Canonical(value));
            }
        }
    }

    // MEMORY USAGE, eviction's sizes and DEBUG OBJECT count the canonical bytes without writing them (a hashtable hash or
    // set sorted every element to be measured): the count must be the written length.
    [Fact]
    public void CanonicalLength_OfEveryRepresentation_IsTheLengthWritten()
    {
        var random = new Random(11);
        var values = RepresentationsStore().Keys.InOrder().Select(static entry => entry.Value).ToList();
        for (var round = 0; round < 50; round++)
        {
            var hash = new HashValue();
            var set = new SetValue();
            for (var i = random.Next(1, 800); i > 0; i--)
            {
                hash.Set(RandomMember(random, random.Next(4) == 0), RandomMember(random, false));
                set.Add(random.Next(2) == 0 ? RandomMember(random, false) : RedisIntegers.Format(RandomInteger(random)));
            }

            values.Add(hash);
            values.Add(set);
        }

        foreach (var value in values)
        {
            Assert.Equal(Canonical(value).Length, value.CanonicalLength());
        }
    }

    [Fact]
    public void IntegerTextOrder_AgreesWithOrdinalOrderOfTheText()
    {
        var random = new Random(7);
        long[] edges = [0, 1, -1, 9, 10, -9, -10, 99, 100, 101, -100, long.MaxValue, long.MinValue, long.MaxValue / 10, long.MinValue / 10];
        var values = edges.Concat(Enumerable.Range(0, 2000).Select(_ => RandomInteger(random))).ToArray();
        foreach (var x in values)
        {
            foreach (var y in values.Take(200))
            {
                var expected = Math.Sign(ByteStringComparer.Instance.Compare(RedisIntegers.Format(x), RedisIntegers.Format(y)));
                Assert.True(expected == Math.Sign(IntegerTextOrder.Instance.Compare(x, y)), $"{x} vs {y}");
            }
        }
    }

    internal static KeyValueStore RepresentationsStore()
    {
        var store = new KeyValueStore();
        store.Keys.Put(B("hash-listpack"), Hash(("f3", "c"), ("f10", "b"), ("", "empty"), ("f1", "a"), ("\u00e9", "high byte")), KeyEntry.NoExpiry);
        store.Keys.Put(B("hash-long-value"), Hash(("b", new string('v', 70)), ("a", "short")), 9000);
        store.Keys.Put(B("hash-many-fields"), Hash([.. Enumerable.Range(0, 200).Select(i => ($"field{(i * 37) % 200}", $"value{i}"))]), KeyEntry.NoExpiry);
        store.Keys.Put(B("set-intset"), Set("0", "-1", "-10", "-2", "9", "10", "100", "123456789", "-99",
            long.MinValue.ToString(CultureInfo.InvariantCulture), long.MaxValue.ToString(CultureInfo.InvariantCulture)), KeyEntry.NoExpiry);
        store.Keys.Put(B("set-many-integers"), Set([.. Enumerable.Range(0, 600).Select(i => ((i * 7919) % 1000 - 500).ToString(CultureInfo.InvariantCulture))]), KeyEntry.NoExpiry);
        store.Keys.Put(B("set-hashtable"), Set("pear", "apple", "7", "Zebra", ""), KeyEntry.NoExpiry);
        var cached = Set("m3", "m1", "m2");
        cached.Canonical();
        cached.Add(B("m0"));
        cached.Remove(B("m2"));
        store.Keys.Put(B("set-hashtable-sorted-cache"), cached, KeyEntry.NoExpiry);
        store.Keys.Put(B("zset-listpack"), Zset(("b", 1), ("a", 1), ("c", -2.5), ("z", 0)), KeyEntry.NoExpiry);
        store.Keys.Put(B("zset-skiplist"), Zset([.. Enumerable.Range(0, 200).Select(i => ($"member{(i * 37) % 200}", (double)(i % 7) - 3))]), KeyEntry.NoExpiry);
        store.Keys.Put(B("zset-long-member"), Zset((new string('m', 70), 1), ("a", 2)), KeyEntry.NoExpiry);
        var list = new ListValue();
        list.PushBack(B("second"));
        list.PushFront(B("first"));
        list.PushBack(B(""));
        store.Keys.Put(B("list"), list, KeyEntry.NoExpiry);
        store.Keys.Put(B("string"), StringValue.Of(B("text")), KeyEntry.NoExpiry);
        return store;
    }

    private static HashValue Hash(params (string Field, string Value)[] pairs)
    {
        var hash = new HashValue();
        foreach (var (field, value) in pairs)
        {
            hash.Set(B(field), B(value));
        }

        return hash;
    }

    private static SetValue Set(params string[] members)
    {
        var set = new SetValue();
        foreach (var member in members)
        {
            set.Add(B(member));
        }

        return set;
    }

    private static SortedSetValue Zset(params (string Member, double Score)[] elements)
    {
        var zset = new SortedSetValue();
        foreach (var (member, score) in elements)
        {
            zset.Set(B(member), score);
        }

        return zset;
    }

    private static byte[] RandomMember(Random random, bool longStrings)
    {
        var bytes = new byte[random.Next(0, longStrings ? 80 : 6)];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)random.Next(250, 258);
        }

        return bytes;
    }

    private static long RandomInteger(Random random) => random.Next(4) switch
    {
        0 => random.Next(-1000, 1000),
        1 => random.NextInt64(),
        2 => -random.NextInt64() - 1,
        _ => random.NextInt64(-1_000_000_000_000, 1_000_000_000_000),
    };

    private static byte[] Canonical(StoredValue value)
    {
        var writer = new BytesWriter();
        value.WriteCanonical(writer);
        return writer.Bytes.ToArray();
    }

    // The canonical form as SnapshotLayout states it, from views that copy and sort.
    private static byte[] Reference(StoredValue value)
    {
        var bytes = new List<byte>();
        void Int32(int n)
        {
            var little = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(little, n);
            bytes.AddRange(little);
        }

        void String(byte[] s)
        {
            Int32(s.Length);
            bytes.AddRange(s);
        }

        switch (value)
        {
            case StringValue s:
                String(s.Bytes);
                break;
            case ListValue list:
                Int32(list.Count);
                foreach (var item in list.Items())
                {
                    String(item);
                }

                break;
            case SetValue set:
                var members = set.Canonical().ToList();
                Int32(members.Count);
                members.ForEach(String);
                break;
            case HashValue hash:
                var pairs = hash.CanonicalPairs();
                Int32(pairs.Count);
                foreach (var (field, fieldValue) in pairs)
                {
                    String(field);
                    String(fieldValue);
                }

                break;
            case SortedSetValue zset:
                Int32(zset.Count);
                foreach (var (member, score) in zset.All())
                {
                    String(member);
                    var bits = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(bits, BitConverter.DoubleToInt64Bits(score));
                    bytes.AddRange(bits);
                }

                break;
            default:
                throw new ArgumentException(value.GetType().Name);
        }

        return [.. bytes];
    }

    private sealed class BytesWriter : CanonicalWriter
    {
        public List<byte> Bytes { get; } = [];

        public override void WriteBytes(ReadOnlySpan<byte> bytes) => Bytes.AddRange(bytes);
    }
}
