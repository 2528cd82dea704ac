using System.Text;
using RaftKV.StateMachine.Rdb;

namespace RaftKV.StateMachine.Tests.Rdb;

/// <summary>The listpacks RaftKV writes into stream payloads: byte for byte as Redis writes them, and read back whole.</summary>
public sealed class ListpackWriterTests
{
    [Fact]
    public void Strings_AreWrittenAsRedisWritesThem_IntegersInIntegerEncodings()
    {
        // The listpack of redis-server 7.0.15's HSET k f1 v1 f2 2 (from its DUMP payload).
        var pack = new ListpackWriter();
        foreach (var item in new[] { "f1", "v1", "f2", "2" })
            pack.AddString(Encoding.ASCII.GetBytes(item));
        Assert.Equal("1500000004008266310382763103826632030201ff", Convert.ToHexString(pack.ToArray()).ToLowerInvariant());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(127L)]
    [InlineData(128L)]
    [InlineData(-1L)]
    [InlineData(-4096L)]
    [InlineData(4095L)]
    [InlineData(4096L)]
    [InlineData(-4097L)]
    [InlineData(32767L)]
    [InlineData(-32769L)]
    [InlineData(8388607L)]
    [InlineData(-8388609L)]
    [InlineData(2147483647L)]
    [InlineData(-2147483649L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Integers_ReadBackAsTheirDecimalText(long value)
    {
        var pack = new ListpackWriter();
        pack.AddInteger(value);
        pack.AddString(Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var entries = ListpackReader.Read(pack.ToArray());
        Assert.NotNull(entries);
        Assert.All(entries, entry => Assert.Equal(value.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(entry)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(16378)]
    [InlineData(16379)]
    [InlineData(20000)]
    public void StringsOfEveryLengthClass_ReadBack(int length)
    {
        var text = new byte[length];
        text.AsSpan().Fill((byte)'s');
        var pack = new ListpackWriter();
        pack.AddString(text);
        pack.AddString("0123"u8);
        var entries = ListpackReader.Read(pack.ToArray());
        Assert.NotNull(entries);
        Assert.Equal(2, entries.Count);
        Assert.Equal(text, entries[0]);
        Assert.Equal("0123"u8.ToArray(), entries[1]);
    }
}
