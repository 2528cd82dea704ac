using System.Buffers;
using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;
using RaftKV.Protocol.Tests.Support;

namespace RaftKV.Protocol.Tests.Resp;

public class RespReplyReaderTests
{
    private static readonly Reply[] Samples =
    [
        Reply.Ok,
        Reply.Error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        Reply.Integer(0),
        Reply.Integer(long.MinValue),
        Reply.Integer(long.MaxValue),
        Reply.Bulk("hello"),
        Reply.Bulk(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()),
        Reply.EmptyBulk,
        Reply.Null,
        Reply.EmptyArray,
        Reply.Array(Reply.Integer(1), Reply.Array(Reply.Bulk("a\r\nb"), Reply.Null), Reply.Simple("x")),
        new SetReply([Reply.Bulk("a"), Reply.Bulk("b")]),
        new MapReply([new(Reply.Bulk("k"), Reply.Integer(7)), new(Reply.Bulk("n"), new MapReply([new(Reply.Simple("z"), Reply.Null)]))]),
        new MapReply([]),
        Reply.Double(1.1),
        Reply.Double(-0.5),
        Reply.Double(1e300),
        Reply.Double(double.PositiveInfinity),
        Reply.Double(double.NegativeInfinity),
        Reply.Double(double.NaN),
        Reply.Boolean(true),
        Reply.Boolean(false),
        new VerbatimReply("txt", "Some string"u8.ToArray()),
        new VerbatimReply("mkd", []),
        new PushReply([Reply.Bulk("message"), Reply.Bulk("ch"), Reply.Bulk("payload")]),
    ];

    public static TheoryData<int> SampleIndexes => new(Enumerable.Range(0, Samples.Length));

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void RoundTrip_Resp3_EveryShape(int index) =>
        AssertRoundTrip(Samples[index], 3, Samples[index]);

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void RoundTrip_Resp2_ReadsTheDegradedForm(int index) =>
        AssertRoundTrip(Samples[index], 2, DegradeToResp2(Samples[index]));

    [Fact]
    public void RoundTrip_NullArray_Resp2_StaysNullArray() =>
        AssertRoundTrip(Reply.NullArray, 2, Reply.NullArray);

    [Fact]
    public void RoundTrip_NullArray_Resp3_BecomesRespThreeNull() =>
        AssertRoundTrip(Reply.NullArray, 3, Reply.Null);

    [Fact]
    public void Pipelined_RepliesReadInOrder()
    {
        byte[] input = Encoding.ASCII.GetBytes("+OK\r\n:5\r\n$-1\r\n*-1\r\n");
        foreach (var (shape, sequence) in Segments.Shapes(input))
        {
            var buffer = sequence;
            var read = new List<string>();
            while (RespReplyReader.TryRead(ref buffer, out var reply))
            {
                read.Add(ReplyText.Describe(reply));
            }

            Assert.True(buffer.IsEmpty, shape);
            Assert.Equal(["simple(OK)", "int(5)", "null(Bulk)", "null(Array)"], read);
        }
    }

    [Theory]
    [InlineData("(3492890328409238509324850943850943825024385\r\n", "bulk(3492890328409238509324850943850943825024385)")]
    [InlineData("(-12\r\n", "bulk(-12)")]
    [InlineData("!21\r\nSYNTAX invalid syntax\r\n", "error(SYNTAX invalid syntax)")]
    [InlineData("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*1\r\n:2\r\n", "array[int(2)]")]
    [InlineData("*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n", "array[int(1),int(2)]")]
    [InlineData(",1.5e3\r\n", "double(4654311885213007872)")]
    [InlineData(",-INF\r\n", "double(-4503599627370496)")]
    public void Resp3Extras_AreRead(string input, string expected)
    {
        string described = ReadEveryWay(Encoding.ASCII.GetBytes(input));
        if (expected.StartsWith("bulk(", StringComparison.Ordinal))
        {
            string digits = expected[5..^1];
            expected = ReplyText.Describe(Reply.Bulk(digits));
        }

        Assert.Equal(expected, described);
    }

    [Fact]
    public void PartialReply_ReturnsFalseAndConsumesNothing()
    {
        byte[] full = Encoding.ASCII.GetBytes(RespReplyWriterTests.Render(Samples[12], 3));
        for (int length = 0; length < full.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(full, 0, length);
            Assert.False(RespReplyReader.TryRead(ref buffer, out var reply), $"prefix {length}");
            Assert.Null(reply);
            Assert.Equal(length, buffer.Length);
        }
    }

    [Theory]
    [InlineData("?foo\r\n")]
    [InlineData(":abc\r\n")]
    [InlineData(":\r\n")]
    [InlineData("$abc\r\n")]
    [InlineData("$-2\r\n")]
    [InlineData("$3\r\nabcXY")]
    [InlineData("*-2\r\n")]
    [InlineData("%-1\r\n")]
    [InlineData("*x\r\n")]
    [InlineData("#x\r\n")]
    [InlineData("_x\r\n")]
    [InlineData(",abc\r\n")]
    [InlineData("(12a\r\n")]
    [InlineData("=3\r\ntxt\r\n")]
    [InlineData("=5\r\ntxt-x\r\n")]
    [InlineData("$?\r\n")]
    [InlineData("*2\r\n:1\r\n@\r\n")]
    public void MalformedReply_IsProtocolError(string input)
    {
        foreach (var (shape, sequence) in Segments.Shapes(Encoding.ASCII.GetBytes(input)))
        {
            var buffer = sequence;
            Assert.True(
                Record.Exception(() => RespReplyReader.TryRead(ref buffer, out _)) is RespProtocolException,
                shape);
        }
    }

    [Fact]
    public void ArrayCountBeyondLimit_IsRefusedBeforeReadingElements()
    {
        var buffer = new ReadOnlySequence<byte>("*1048577\r\n"u8.ToArray());
        Assert.Throws<RespProtocolException>(() => RespReplyReader.TryRead(ref buffer, out _));
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*1\r\n", 10_000)) + ":1\r\n"));
        Assert.Throws<RespProtocolException>(() => RespReplyReader.TryRead(ref buffer, out _));
    }

    private static void AssertRoundTrip(Reply written, int version, Reply expected)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(RespReplyWriterTests.Render(written, version));
        Assert.Equal(ReplyText.Describe(expected), ReadEveryWay(bytes));
    }

    /// <summary>Reads one reply from every shape (with and without guard bytes); all must agree.</summary>
    private static string ReadEveryWay(byte[] bytes)
    {
        string? first = null;
        byte[] guard = "$5\r\nab"u8.ToArray();
        foreach (var input in new[] { bytes, [.. bytes, .. guard] })
        {
            foreach (var (shape, sequence) in Segments.Shapes(input))
            {
                var buffer = sequence;
                Assert.True(RespReplyReader.TryRead(ref buffer, out var reply), shape);
                Assert.Equal(input.Length - bytes.Length, buffer.Length);
                string described = ReplyText.Describe(reply);
                first ??= described;
                Assert.True(first == described, $"{shape}: {described} differs from {first}");
            }
        }

        return first!;
    }

    /// <summary>A deliberately naive reference of how each RESP3 kind reads back after RESP2 degradation.</summary>
    private static Reply DegradeToResp2(Reply reply) => reply switch
    {
        SetReply s => new ArrayReply(s.Items.Select(DegradeToResp2).ToArray()),
        PushReply p => new ArrayReply(p.Items.Select(DegradeToResp2).ToArray()),
        ArrayReply a => new ArrayReply(a.Items.Select(DegradeToResp2).ToArray()),
        MapReply m => new ArrayReply(m.Entries.SelectMany(e => new[] { DegradeToResp2(e.Key), DegradeToResp2(e.Value) }).ToArray()),
        DoubleReply d => Reply.Bulk(RedisNumber.FormatDouble(d.Value)),
        BooleanReply b => Reply.Integer(b.Value ? 1 : 0),
        VerbatimReply v => Reply.Bulk(v.Value),
        _ => reply,
    };
}
