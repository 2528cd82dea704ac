using System.Buffers;
using System.Text;
using RaftKV.Protocol.Resp;
using RaftKV.Protocol.Tests.Support;

namespace RaftKV.Protocol.Tests.Resp;

/// <summary>
/// A small request whole in one segment is read by the reader's one-pass fast path; the same bytes one per segment go
/// the general path. Frames built near every limit (argument count, bulk length, header length, the limits before
/// authentication), with mutations (a wrong type byte, a sign, a truncation, extra digits), must give both paths the
/// same requests, the same bytes left, or the same protocol error.
/// </summary>
public class RespRequestFastPathTests
{
    private static readonly RespLimits[] LimitSets =
    [
        RespLimits.Default,
        RespLimits.BeforeAuth,
        new() { MaxInlineLength = 6, MaxBulkLength = 12, MaxArrayLength = 4 },
        new() { UnauthenticatedMaxArrayLength = 3, UnauthenticatedMaxBulkLength = 5 },
    ];

    [Fact]
    public void FramesNearTheLimits_ReadTheSameWholeAndOneBytePerSegment()
    {
        var random = new Random(4242);
        var mutations = "*$-+0123456789\r\nx"u8.ToArray();
        for (var round = 0; round < 20_000; round++)
        {
            var limits = LimitSets[random.Next(LimitSets.Length)];
            var wire = new List<byte>();
            var count = random.Next(0, 100) < 90 ? random.Next(1, 8) : random.Next(60, 70);
            wire.AddRange(Encoding.ASCII.GetBytes($"*{count}\r\n"));
            for (var i = 0; i < count; i++)
            {
                var length = random.Next(0, 100) < 80 ? random.Next(0, 8) : random.Next(8, 20);
                var header = random.Next(0, 50) == 0 ? $"${new string('0', random.Next(1, 25))}{length}" : $"${length}";
                wire.AddRange(Encoding.ASCII.GetBytes(header + "\r\n"));
                wire.AddRange(Enumerable.Repeat((byte)'a', length));
                wire.AddRange("\r\n"u8.ToArray());
            }

            byte[] input = [.. wire];
            if (random.Next(0, 3) == 0)
            {
                input[random.Next(input.Length)] = mutations[random.Next(mutations.Length)];
            }

            if (random.Next(0, 3) == 0)
            {
                input = input[..random.Next(input.Length + 1)];
            }

            var whole = RespRequestReaderPropertyTests.Outcome(new ReadOnlySequence<byte>(input), limits);
            var pieces = RespRequestReaderPropertyTests.Outcome(Segments.OneBytePerSegment(input), limits);
            Assert.True(whole == pieces, $"round {round}: {Encoding.ASCII.GetString(input).ReplaceLineEndings("|")}\n whole:  {whole}\n pieces: {pieces}");

            // With a scan (as a connection reads): the same outcome, and the same bytes stepped over by either path.
            RespRequestScan wholeScan = new(), piecesScan = new();
            Assert.Equal(whole, RespRequestReaderPropertyTests.Outcome(new ReadOnlySequence<byte>(input), limits, wholeScan));
            Assert.Equal(pieces, RespRequestReaderPropertyTests.Outcome(Segments.OneBytePerSegment(input), limits, piecesScan));
            Assert.Equal(piecesScan.Stepped, wholeScan.Stepped);
        }
    }

    // A scan that follows a frame resumes it on the general path, and counts every argument's bytes once either way.
    [Fact]
    public void AScanCountsTheBytesOfFramesTheFastPathReads()
    {
        var scan = new RespRequestScan();
        var input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"u8.ToArray();
        var buffer = new ReadOnlySequence<byte>(input);
        Assert.True(RespRequestReader.TryRead(ref buffer, RespLimits.Default, scan, out var request));
        Assert.Equal(["SET"u8.ToArray(), "k"u8.ToArray(), "v"u8.ToArray()], request!.Arguments);
        Assert.True(buffer.IsEmpty);
        Assert.Equal(input.Length - "*3\r\n".Length, scan.Stepped);
        Assert.Equal(0, scan.Count);
    }
}
