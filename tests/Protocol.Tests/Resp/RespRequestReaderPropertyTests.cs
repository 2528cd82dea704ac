using System.Buffers;
using System.Text;
using RaftKV.Protocol.Resp;
using RaftKV.Protocol.Tests.Support;

namespace RaftKV.Protocol.Tests.Resp;

/// <summary>
/// Seeded random inputs: the reader's outcome (requests read, or the protocol error raised) must not depend
/// on how the bytes are cut into segments, and nothing but <see cref="RespProtocolException"/> may escape.
/// </summary>
public class RespRequestReaderPropertyTests
{
    private static readonly RespLimits Limits = new() { MaxInlineLength = 24, MaxBulkLength = 40, MaxArrayLength = 6 };

    [Fact]
    public void RandomValidPipelines_ReadTheSameUnderRandomSplits()
    {
        var random = new Random(12345);
        for (int round = 0; round < 300; round++)
        {
            var expected = new List<byte[][]>();
            var wire = new List<byte>();
            int requests = random.Next(1, 5);
            for (int r = 0; r < requests; r++)
            {
                var args = Enumerable.Range(0, random.Next(1, 6)).Select(_ => RandomBytes(random, random.Next(0, 30))).ToArray();
                expected.Add(args);
                wire.AddRange(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
                foreach (var arg in args)
                {
                    wire.AddRange(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
                    wire.AddRange(arg);
                    wire.AddRange("\r\n"u8.ToArray());
                }
            }

            byte[] input = [.. wire];
            var actual = ReadWithRandomSplits(input, random, out _, out var error);
            Assert.Null(error);
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i], actual[i]);
            }
        }
    }

    [Fact]
    public void RandomGarbage_OutcomeDoesNotDependOnSplits()
    {
        var random = new Random(777);
        byte[] alphabet = "*$\r\n0123-45 \"'\\xabAB\t"u8.ToArray();
        for (int round = 0; round < 3000; round++)
        {
            byte[] input = Enumerable.Range(0, random.Next(1, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray();
            var whole = Outcome(new ReadOnlySequence<byte>(input));
            Assert.Equal(whole, Outcome(Segments.OneBytePerSegment(input)));
            Assert.Equal(whole, Outcome(Segments.SplitAt(input, random.Next(input.Length + 1))));

            // Arrival in pieces may refuse a frame earlier than the whole buffer would, but never differently.
            var pieces = ReadWithRandomSplits(input, random, out int pending, out string? error);
            string arrived = Describe(pieces, error, pending);
            if (error is null)
            {
                Assert.Equal(whole, arrived);
            }
            else
            {
                Assert.EndsWith("error: " + error, whole, StringComparison.Ordinal);
            }
        }
    }

    internal static string Outcome(ReadOnlySequence<byte> buffer, RespLimits? limits = null, RespRequestScan? scan = null)
    {
        var requests = new List<byte[][]>();
        try
        {
            while (RespRequestReader.TryRead(ref buffer, limits ?? Limits, scan, out var request))
            {
                requests.Add(request!.Arguments);
            }

            return Describe(requests, null, (int)buffer.Length);
        }
        catch (RespProtocolException e)
        {
            return Describe(requests, e.Message, 0);
        }
    }

    private static string Describe(List<byte[][]> requests, string? error, int pending)
    {
        var text = new StringBuilder();
        foreach (var request in requests)
        {
            text.Append('[').AppendJoin(',', request.Select(Convert.ToHexString)).Append(']');
        }

        return error is null ? $"{text} pending {pending}" : $"{text} error: {error}";
    }

    /// <summary>Feeds the input in random-sized pieces into a growing receive buffer, as a socket would.</summary>
    private static List<byte[][]> ReadWithRandomSplits(byte[] input, Random random, out int pending, out string? error)
    {
        var requests = new List<byte[][]>();
        byte[] buffered = [];
        int offset = 0;
        error = null;
        while (offset < input.Length)
        {
            int take = Math.Min(input.Length - offset, random.Next(1, 20));
            buffered = [.. buffered, .. input.AsSpan(offset, take)];
            offset += take;
            var buffer = new ReadOnlySequence<byte>(buffered);
            try
            {
                while (RespRequestReader.TryRead(ref buffer, Limits, out var request))
                {
                    requests.Add(request!.Arguments);
                }
            }
            catch (RespProtocolException e)
            {
                error = e.Message;
                pending = 0;
                return requests;
            }

            buffered = buffer.ToArray();
        }

        pending = buffered.Length;
        return requests;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
