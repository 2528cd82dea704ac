using System.Buffers;
using System.Text;
using RaftKV.Protocol.Resp;
using RaftKV.Protocol.Tests.Support;

namespace RaftKV.Protocol.Tests.Resp;

/// <summary>
/// Replays request-reader input four ways (whole, with trailing guard bytes, split in two at every offset,
/// one byte per segment) plus byte-by-byte arrival, and checks that every way reads the same requests.
/// </summary>
internal static class RequestReplay
{
    /// <summary>An incomplete frame appended after the input: it must be left in the buffer untouched.</summary>
    private static readonly byte[] Guard = "*2\r\n$3\r\nGU"u8.ToArray();

    public static void AssertReads(byte[] input, RespLimits limits, params byte[][][] expected)
    {
        foreach (var (shape, sequence) in Segments.Shapes(input))
        {
            var (requests, remaining) = ReadAll(sequence, limits);
            AssertSame(expected, requests, shape);
            Assert.True(remaining.IsEmpty, $"{shape}: {remaining.Length} bytes left unconsumed");
        }

        byte[] guarded = [.. input, .. Guard];
        foreach (var (shape, sequence) in Segments.Shapes(guarded))
        {
            var (requests, remaining) = ReadAll(sequence, limits);
            AssertSame(expected, requests, "guarded, " + shape);
            Assert.Equal(Guard, remaining.ToArray());
        }

        var arrived = ReadArrivingByteByByte(input, limits);
        AssertSame(expected, arrived, "byte-by-byte arrival");
        arrived = ReadArrivingByteByByte(input, limits, new RespRequestScan());
        AssertSame(expected, arrived, "byte-by-byte arrival, walk resumed");
    }

    public static void AssertReads(byte[] input, params string[][] expected) =>
        AssertReads(input, RespLimits.Default, expected.Select(r => r.Select(a => Encoding.Latin1.GetBytes(a)).ToArray()).ToArray());

    public static void AssertReads(string input, params string[][] expected) =>
        AssertReads(Encoding.Latin1.GetBytes(input), expected);

    /// <summary>Every shape, and byte-by-byte arrival, must throw exactly <paramref name="message"/>.</summary>
    public static void AssertProtocolError(byte[] input, string message, RespLimits? limits = null)
    {
        limits ??= RespLimits.Default;
        foreach (var (shape, sequence) in Segments.Shapes(input))
        {
            var error = Assert.Throws<RespProtocolException>(() => ReadAll(sequence, limits));
            Assert.True(message == error.Message, $"{shape}: expected '{message}', got '{error.Message}'");
        }

        var arrivalError = Assert.Throws<RespProtocolException>(() => ReadArrivingByteByByte(input, limits));
        Assert.Equal(message, arrivalError.Message);
        arrivalError = Assert.Throws<RespProtocolException>(() => ReadArrivingByteByByte(input, limits, new RespRequestScan()));
        Assert.Equal(message, arrivalError.Message);
    }

    public static void AssertProtocolError(string input, string message, RespLimits? limits = null) =>
        AssertProtocolError(Encoding.Latin1.GetBytes(input), message, limits);

    public static (List<byte[][]> Requests, ReadOnlySequence<byte> Remaining) ReadAll(
        ReadOnlySequence<byte> buffer, RespLimits limits, RespRequestScan? scan = null)
    {
        var requests = new List<byte[][]>();
        while (RespRequestReader.TryRead(ref buffer, limits, scan, out var request))
        {
            Assert.NotNull(request);
            requests.Add(request.Arguments);
        }

        return (requests, buffer);
    }

    /// <summary>
    /// Simulates a socket delivering one byte at a time into a growing receive buffer; with <paramref name="scan"/>, as a
    /// connection reads, each call going on from where the last one stopped.
    /// </summary>
    private static List<byte[][]> ReadArrivingByteByByte(byte[] input, RespLimits limits, RespRequestScan? scan = null)
    {
        var requests = new List<byte[][]>();
        var pending = new List<byte>();
        foreach (byte b in input)
        {
            pending.Add(b);
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            var (read, remaining) = ReadAll(buffer, limits, scan);
            requests.AddRange(read);
            pending = [.. remaining.ToArray()];
        }

        Assert.Empty(pending);
        return requests;
    }

    private static void AssertSame(byte[][][] expected, List<byte[][]> actual, string shape)
    {
        Assert.True(expected.Length == actual.Count, $"{shape}: expected {expected.Length} requests, got {actual.Count}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].Length == actual[i].Length, $"{shape}: request {i} argument count");
            for (int j = 0; j < expected[i].Length; j++)
            {
                Assert.True(expected[i][j].AsSpan().SequenceEqual(actual[i][j]), $"{shape}: request {i} argument {j}: expected '{Encoding.Latin1.GetString(expected[i][j])}', got '{Encoding.Latin1.GetString(actual[i][j])}'");
            }
        }
    }
}
