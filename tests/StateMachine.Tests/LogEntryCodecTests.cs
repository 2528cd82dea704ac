using System.Buffers;
using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;

namespace RaftKV.StateMachine.Tests;

public sealed class LogEntryCodecTests
{
    private static readonly LogCommand Sample = new(
        CommandId.Set,
        0x0102030405060708,
        0x1122334455667788,
        [Encoding.ASCII.GetBytes("k"), Encoding.ASCII.GetBytes("vv")]);

    // The log on disk holds these bytes: changing them breaks every existing cluster's log.
    private const string SampleHex = "01" + "C900" + "0807060504030201" + "8877665544332211" + "02" + "016B" + "027676";

    [Fact]
    public void Encode_Sample_MatchesGoldenBytes()
    {
        Assert.Equal(SampleHex, Convert.ToHexString(LogEntryCodec.Encode(Sample)));
        Assert.Equal(SampleHex.Length / 2, LogEntryCodec.GetEncodedLength(Sample));
    }

    [Fact]
    public void Decode_GoldenBytes_GivesSample()
    {
        var decoded = LogEntryCodec.Decode(new ReadOnlySequence<byte>(Convert.FromHexString(SampleHex)));
        AssertSame(Sample, decoded);
    }

    [Fact]
    public void RoundTrip_LargeAndEmptyArguments_AcrossSegments()
    {
        var command = new LogCommand(CommandId.Mset, -5, ulong.MaxValue, [[], new byte[300], Enumerable.Range(0, 70000).Select(i => (byte)i).ToArray()]);
        var encoded = LogEntryCodec.Encode(command);
        AssertSame(command, LogEntryCodec.Decode(Split(encoded, 7)));
    }

    [Fact]
    public void Encode_IntoSpan_WritesSameBytesAsArray()
    {
        var destination = new byte[LogEntryCodec.GetEncodedLength(Sample) + 3];
        LogEntryCodec.Encode(Sample, destination);
        Assert.Equal(SampleHex + "000000", Convert.ToHexString(destination));
        Assert.Throws<ArgumentException>(() => LogEntryCodec.Encode(Sample, new byte[5]));
    }

    [Fact]
    public void Decode_EveryTruncation_Throws()
    {
        var encoded = LogEntryCodec.Encode(Sample);
        for (var length = 0; length < encoded.Length; length++)
        {
            var prefix = encoded[..length];
            Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.Decode(new ReadOnlySequence<byte>(prefix)));
        }
    }

    [Fact]
    public void Decode_UnknownVersion_Throws()
    {
        var encoded = LogEntryCodec.Encode(Sample);
        encoded[0] = 2;
        var exception = Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded)));
        Assert.Contains("version 2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TrailingBytes_Throws()
    {
        byte[] encoded = [.. LogEntryCodec.Encode(Sample), 0];
        Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded)));
    }

    [Fact]
    public void Decode_HugeArgumentCount_ThrowsWithoutAllocating()
    {
        var encoded = Convert.FromHexString("01C900" + "0000000000000000" + "0000000000000000" + "FFFFFFFF07");
        Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded)));
        var overlong = Convert.FromHexString("01C900" + "0000000000000000" + "0000000000000000" + "FFFFFFFFFF01");
        Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.Decode(new ReadOnlySequence<byte>(overlong)));
    }

    // The group commit writes its Batch entry with EncodeNested: the bytes must be those of the entry holding the
    // encoded commands as arguments, which every replica (and an older node) decodes.
    [Fact]
    public void EncodeNested_MatchesEncodeOfTheEncodedEntries()
    {
        var large = new LogCommand(CommandId.Mset, -5, ulong.MaxValue, [[], new byte[300], Enumerable.Range(0, 200).Select(i => (byte)i).ToArray()]);
        LogCommand[] entries = [Sample, large, new LogCommand(CommandId.Del, 7, 0, [])];
        var expected = LogEntryCodec.Encode(new LogCommand(CommandId.Batch, 42, 0, [.. entries.Select(LogEntryCodec.Encode)]));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(LogEntryCodec.EncodeNested(CommandId.Batch, 42, 0, entries)));
        Assert.Equal(
            Convert.ToHexString(LogEntryCodec.Encode(new LogCommand(CommandId.Batch, 1, 2, []))),
            Convert.ToHexString(LogEntryCodec.EncodeNested(CommandId.Batch, 1, 2, [])));
    }

    [Fact]
    public void DecodeSlices_GivesTheArgumentsAsDecodeDoes_AcrossSegments()
    {
        LogCommand[] entries = [Sample, new LogCommand(CommandId.Mset, 3, 4, [new byte[500], [1, 2]])];
        var encoded = LogEntryCodec.EncodeNested(CommandId.Batch, 9, 10, entries);
        var slices = new List<ReadOnlySequence<byte>> { new([1]) };
        var header = LogEntryCodec.DecodeSlices(Split(encoded, 7), slices);
        Assert.Equal((CommandId.Batch, 9L, 10UL), (header.Command, header.TimestampMs, header.Seed));
        Assert.Equal(2, slices.Count);
        AssertSame(Sample, LogEntryCodec.Decode(slices[0]));
        AssertSame(entries[1], LogEntryCodec.Decode(slices[1]));
        Assert.True(LogEntryCodec.TryPeekCommand(new ReadOnlySequence<byte>(encoded), out var id));
        Assert.Equal(CommandId.Batch, id);
    }

    [Fact]
    public void DecodeSlices_EveryTruncation_Throws()
    {
        var encoded = LogEntryCodec.EncodeNested(CommandId.Batch, 9, 10, [Sample]);
        for (var length = 0; length < encoded.Length; length++)
        {
            var prefix = encoded[..length];
            Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.DecodeSlices(new ReadOnlySequence<byte>(prefix), []));
        }

        Assert.Throws<LogEntryFormatException>(() => LogEntryCodec.DecodeSlices(new ReadOnlySequence<byte>([.. encoded, 0]), []));
        Assert.False(LogEntryCodec.TryPeekCommand(new ReadOnlySequence<byte>([2, 0, 0]), out _));
    }

    private static void AssertSame(LogCommand expected, LogCommand actual)
    {
        Assert.Equal(expected.Command, actual.Command);
        Assert.Equal(expected.TimestampMs, actual.TimestampMs);
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.Arguments.Length, actual.Arguments.Length);
        for (var i = 0; i < expected.Arguments.Length; i++)
        {
            Assert.Equal(expected.Arguments[i], actual.Arguments[i]);
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int segmentLength)
    {
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentLength)
        {
            var memory = bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset));
            if (last is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last.Append(memory);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
