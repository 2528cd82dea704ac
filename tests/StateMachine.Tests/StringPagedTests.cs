using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Values;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// SETBIT and SETRANGE on a string of 64 KiB or more write only the pages they touch (<see cref="StringValue.Patched"/>):
/// a SETBIT on a 1 MB bitmap copied the whole megabyte on every node (1,500 SETBIT/s pipelined, 38,000 on a small
/// bitmap). Every version must read as a plain array would, and no later change may show through an earlier version.
/// </summary>
public sealed class StringPagedTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomPatches_ReadAsAPlainArray_AndEarlierVersionsNeverChange(int seed)
    {
        var random = new Random(seed);
        var model = new byte[random.Next(0, 3) * 40_000];
        random.NextBytes(model);
        StringValue value = StringValue.Of(model.ToArray(), StringEncoding.Raw);
        var versions = new List<(StringValue Value, byte[] Bytes)> { (value, model.ToArray()) };
        for (int i = 0; i < 300; i++)
        {
            // Mostly within the string, sometimes past its end (zero-filled), sometimes across pages.
            int offset = random.Next(0, model.Length + 20_000);
            var patch = new byte[random.Next(0, 10) == 0 ? random.Next(1, 40_000) : random.Next(1, 4)];
            random.NextBytes(patch);
            var next = new byte[Math.Max(model.Length, offset + patch.Length)];
            model.CopyTo(next, 0);
            patch.CopyTo(next, offset);
            model = next;
            value = StringValue.Patched(value, offset, patch);
            versions.Add((value, model.ToArray()));
            Assert.Equal(model.Length >= StringValue.PagedFrom, value.IsPaged);
        }

        foreach (var (version, bytes) in versions)
            AssertReadsAs(bytes, version, random);
    }

    [Fact]
    public void ABitmapSetBitByBit_StaysPaged_AndSurvivesASnapshot()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.Setbit, 1, 0, [B("bm"), B("8000000"), B("1")]));
        var model = new byte[1_000_001];
        model[1_000_000] = 0x80;
        var random = new Random(7);
        for (int i = 0; i < 500; i++)
        {
            long bit = random.NextInt64(8_000_008);
            int on = random.Next(2);
            var reply = (IntegerReply)store.Apply(new LogCommand(CommandId.Setbit, 2, 0, [B("bm"), B(bit.ToString(System.Globalization.CultureInfo.InvariantCulture)), B(on.ToString(System.Globalization.CultureInfo.InvariantCulture))]));
            var mask = (byte)(1 << (7 - (int)(bit & 7)));
            Assert.Equal((model[bit >> 3] & mask) != 0 ? 1 : 0, reply.Value);
            model[bit >> 3] = on == 1 ? (byte)(model[bit >> 3] | mask) : (byte)(model[bit >> 3] & ~mask);
        }

        store.Apply(new LogCommand(CommandId.Setrange, 3, 0, [B("bm"), B("500000"), B("patched")]));
        "patched"u8.CopyTo(model.AsSpan(500_000));

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        foreach (var current in new[] { store, restored })
        {
            Assert.Equal(model, ((BulkReply)current.Read(CommandId.Get, [B("bm")], 3)).Value);
            Assert.Equal("patched"u8.ToArray(), ((BulkReply)current.Read(CommandId.Getrange, [B("bm"), B("500000"), B("500006")], 3)).Value);
            Assert.Equal(model.Sum(b => System.Numerics.BitOperations.PopCount(b)), ((IntegerReply)current.Read(CommandId.Bitcount, [B("bm")], 3)).Value);
            Assert.Equal(1, ((IntegerReply)current.Read(CommandId.Getbit, [B("bm"), B("8000000")], 3)).Value);
        }

        Assert.Equal("raw", System.Text.Encoding.ASCII.GetString(((BulkReply)store.Read(CommandId.Object, [B("ENCODING"), B("bm")], 3)).Value));
    }

    // The same random BITFIELDs on a 1,000-byte string (the whole-copy path) and on that string followed by zeros up to
    // 70,000 bytes (the paged path) answer alike and leave the same first bytes.
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Bitfield_OnAPagedString_AnswersAsOnAShortOne(int seed)
    {
        var random = new Random(seed);
        var start = new byte[1000];
        random.NextBytes(start);
        var small = new KeyValueStore();
        var large = new KeyValueStore();
        small.Apply(new LogCommand(CommandId.Set, 1, 0, [B("k"), start]));
        large.Apply(new LogCommand(CommandId.Set, 1, 0, [B("k"), start]));
        large.Apply(new LogCommand(CommandId.Setrange, 1, 0, [B("k"), B("69999"), [0]]));
        string[] types = ["u1", "u7", "u8", "i8", "u16", "i31", "u63", "i64"];
        for (int i = 0; i < 400; i++)
        {
            var args = new List<byte[]> { B("k") };
            for (int op = random.Next(1, 5); op > 0; op--)
            {
                if (random.Next(4) == 0)
                    args.AddRange([B("OVERFLOW"), B(new[] { "WRAP", "SAT", "FAIL" }[random.Next(3)])]);
                var type = types[random.Next(types.Length)];
                var offset = random.Next(3) == 0 ? "#" + random.Next(200) : random.Next(9000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var value = random.NextInt64(-300, 300).ToString(System.Globalization.CultureInfo.InvariantCulture);
                args.AddRange(random.Next(3) switch
                {
                    0 => [B("GET"), B(type), B(offset)],
                    1 => [B("SET"), B(type), B(offset), B(value)],
                    _ => [B("INCRBY"), B(type), B(offset), B(value)],
                });
            }

            if (random.Next(10) == 0)
                args.AddRange([B("GET"), B("u8"), B("700000")]); // past the long string's end too
            var expected = small.Apply(new LogCommand(CommandId.Bitfield, 2, 0, [.. args]));
            var actual = large.Apply(new LogCommand(CommandId.Bitfield, 2, 0, [.. args]));
            Assert.Equal(Text(expected), Text(actual));
        }

        var smallBytes = ((BulkReply)small.Read(CommandId.Get, [B("k")], 2)).Value;
        var largeBytes = ((BulkReply)large.Read(CommandId.Get, [B("k")], 2)).Value;
        Assert.Equal(70_000, largeBytes.Length);
        Assert.True(smallBytes.AsSpan().SequenceEqual(largeBytes.AsSpan(0, smallBytes.Length)));
        Assert.True(largeBytes.AsSpan(smallBytes.Length).IndexOfAnyExcept((byte)0) < 0);
    }

    private static string Text(Reply reply) => reply switch
    {
        ArrayReply array => "[" + string.Join(",", array.Items.Select(Text)) + "]",
        IntegerReply integer => integer.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        NullReply => "nil",
        ErrorReply error => "-" + error.Message,
        _ => reply.ToString() ?? "",
    };

    private static void AssertReadsAs(byte[] expected, StringValue value, Random random)
    {
        Assert.Equal(expected.Length, value.Length);
        for (int i = 0; i < 20 && expected.Length > 0; i++)
        {
            int at = random.Next(expected.Length);
            Assert.Equal(expected[at], value.ByteAt(at));
            int length = random.Next(0, Math.Min(40_000, expected.Length - at) + 1);
            var range = new byte[length];
            value.CopyTo(at, range);
            Assert.True(expected.AsSpan(at, length).SequenceEqual(range));
        }

        var canonical = new CanonicalBytes();
        value.WriteCanonical(canonical);
        var plain = new CanonicalBytes();
        plain.WriteString(expected);
        Assert.True(plain.Bytes.SequenceEqual(canonical.Bytes));
        Assert.True(expected.AsSpan().SequenceEqual(value.Span));
        Assert.Equal(expected, value.Bytes);
        Assert.Equal(expected, value.Memory.IsEmpty && expected.Length <= 15 ? expected : value.Memory.ToArray());
    }

    private sealed class CanonicalBytes : CanonicalWriter
    {
        public List<byte> Bytes { get; } = [];

        public override void WriteBytes(ReadOnlySpan<byte> bytes) => Bytes.AddRange(bytes);
    }
}
