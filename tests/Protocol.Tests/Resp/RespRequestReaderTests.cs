using System.Buffers;
using System.Text;
using RaftKV.Protocol.Resp;
using static RaftKV.Protocol.Tests.Resp.RequestReplay;

namespace RaftKV.Protocol.Tests.Resp;

public class RespRequestReaderTests
{
    private static readonly RespLimits Small = new() { MaxInlineLength = 16, MaxBulkLength = 3, MaxArrayLength = 2 };

    [Fact]
    public void Multibulk_ReadsArguments() =>
        AssertReads("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", ["GET", "key"]);

    [Fact]
    public void Multibulk_EmptyBulk_IsEmptyArgument() =>
        AssertReads("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1\r\nv\r\n", ["SET", "", "v"]);

    [Fact]
    public void Multibulk_BulkContainingCrLf_IsBinarySafe() =>
        AssertReads("*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\r\nb\r\n", ["ECHO", "a\r\n\r\nb"]);

    [Fact]
    public void Multibulk_EveryByteValue_IsPreserved()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] input = [.. "*2\r\n$3\r\nSET\r\n$256\r\n"u8, .. all, .. "\r\n"u8];
        AssertReads(input, RespLimits.Default, ["SET"u8.ToArray(), all]);
    }

    [Fact]
    public void Multibulk_TrailingBytesAfterPayload_AreNotInspectedLikeRedis() =>
        AssertReads("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", ["PING"], ["PING"]);

    [Fact]
    public void Pipelined_MultibulkAndInline_ReadInOrder() =>
        AssertReads(
            "*1\r\n$4\r\nPING\r\nECHO hi\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\n",
            ["PING"], ["ECHO", "hi"], ["SET", "k", "v"], ["GET", "k"]);

    [Fact]
    public void EmptyMultibulks_AreSkipped() =>
        AssertReads("*0\r\n*-1\r\n*-7\r\n*1\r\n$4\r\nPING\r\n", ["PING"]);

    [Fact]
    public void Inline_EmptyAndBlankLines_AreSkipped() =>
        AssertReads("\r\n\n   \r\n\t\nPING\r\n\r\n", ["PING"]);

    [Fact]
    public void Inline_SplitsOnBlanks() =>
        AssertReads("  set   key \t value  \r\n", ["set", "key", "value"]);

    [Fact]
    public void Inline_LineEndingWithLfOnly_IsAccepted() =>
        AssertReads("GET key\n", ["GET", "key"]);

    [Theory]
    [InlineData("set \"a b\" c", new[] { "set", "a b", "c" })]
    [InlineData("\"\\x41\\x4a\\x6b\"", new[] { "AJk" })]
    [InlineData("\"a\\nb\\r\\t\\b\\a\\\\\\\"z\"", new[] { "a\nb\r\t\b\a\\\"z" })]
    [InlineData("\"\\xZZ\\q\"", new[] { "xZZq" })]
    [InlineData("'it\\'s' x", new[] { "it's", "x" })]
    [InlineData("'a\\nb\"c'", new[] { "a\\nb\"c" })]
    [InlineData("foo\"bar baz\" qux", new[] { "foobar baz", "qux" })]
    [InlineData("\"\" ''", new[] { "", "" })]
    [InlineData("a\vb", new[] { "a\vb" })]
    [InlineData("\"x\"\t'y'", new[] { "x", "y" })]
    [InlineData("a\0b c", new[] { "a" })]
    public void Inline_QuotingFollowsSdsSplitArgs(string line, string[] expected) =>
        AssertReads(line + "\r\n", expected);

    [Fact]
    public void Inline_OnlyNulByte_IsSkipped() =>
        AssertReads("\0 x\r\nPING\r\n", ["PING"]);

    [Theory]
    [InlineData("\"abc")]
    [InlineData("'abc")]
    [InlineData("\"a\"b")]
    [InlineData("'a'b")]
    [InlineData("set \"abc\\\"")]
    [InlineData("\"abc\\")]
    public void Inline_UnbalancedQuotes_IsProtocolError(string line) =>
        AssertProtocolError(line + "\r\n", "Protocol error: unbalanced quotes in request");

    [Fact]
    public void PartialFrame_ReturnsFalseAndConsumesNothing()
    {
        byte[] frame = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"u8.ToArray();
        for (int length = 1; length < frame.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, length);
            Assert.False(RespRequestReader.TryRead(ref buffer, RespLimits.Default, out var request), $"prefix {length}");
            Assert.Null(request);
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void PartialInline_ReturnsFalseAndConsumesNothing()
    {
        var buffer = new ReadOnlySequence<byte>("GET ke"u8.ToArray());
        Assert.False(RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
        Assert.Equal(6, buffer.Length);
    }

    [Fact]
    public void PartialFrame_AfterSkippedLines_ConsumesOnlyTheSkippedLines()
    {
        var buffer = new ReadOnlySequence<byte>("\r\n*0\r\n*1\r\n$4\r\nPI"u8.ToArray());
        Assert.False(RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
        Assert.Equal("*1\r\n$4\r\nPI", Encoding.ASCII.GetString(buffer.ToArray()));
    }

    [Fact]
    public void EmptyBuffer_ReturnsFalse()
    {
        var buffer = ReadOnlySequence<byte>.Empty;
        Assert.False(RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
    }

    [Theory]
    [InlineData("*abc\r\n")]
    [InlineData("*\r\n")]
    [InlineData("*01\r\n")]
    [InlineData("*+1\r\n")]
    [InlineData("*-0\r\n")]
    [InlineData("* 1\r\n")]
    [InlineData("*1048577\r\n")]
    [InlineData("*2147483648\r\n")]
    [InlineData("*99999999999999999999999\r\n")]
    public void InvalidMultibulkLength_IsProtocolError(string input) =>
        AssertProtocolError(input, "Protocol error: invalid multibulk length");

    [Theory]
    [InlineData("*1\r\n$abc\r\n")]
    [InlineData("*1\r\n$\r\n")]
    [InlineData("*1\r\n$-1\r\n")]
    [InlineData("*1\r\n$01\r\n")]
    [InlineData("*1\r\n$536870913\r\n")]
    [InlineData("*2\r\n$3\r\nSET\r\n$4294967296\r\n")]
    [InlineData("*1\r\n$9223372036854775808\r\n")]
    public void InvalidBulkLength_IsProtocolError(string input) =>
        AssertProtocolError(input, "Protocol error: invalid bulk length");

    [Fact]
    public void FourGigabyteBulk_IsRefusedFromTheHeaderAlone()
    {
        // No payload follows: the reader must not wait for (or allocate) 4 GB before refusing it.
        var buffer = new ReadOnlySequence<byte>("*1\r\n$4294967296\r\n"u8.ToArray());
        var error = Assert.Throws<RespProtocolException>(() => RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
        Assert.Equal("Protocol error: invalid bulk length", error.Message);
    }

    [Fact]
    public void LargestAllowedBulk_WithoutPayload_WaitsForData()
    {
        var buffer = new ReadOnlySequence<byte>("*1\r\n$536870912\r\nabcdefgh"u8.ToArray());
        Assert.False(RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
        Assert.Equal(24, buffer.Length);
    }

    [Fact]
    public void BulkLongerThanConfiguredLimit_IsProtocolError() =>
        AssertProtocolError("*1\r\n$4\r\nabcd\r\n", "Protocol error: invalid bulk length", Small);

    [Fact]
    public void ArrayLongerThanConfiguredLimit_IsProtocolError() =>
        AssertProtocolError("*3\r\n$1\r\na\r\n", "Protocol error: invalid multibulk length", Small);

    [Theory]
    [InlineData("*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'")]
    [InlineData("*2\r\n$1\r\na\r\n:1\r\n", "Protocol error: expected '$', got ':'")]
    [InlineData("*1\r\n\r\n", "Protocol error: expected '$', got '\r'")]
    public void MissingDollar_IsProtocolError(string input, string message) =>
        AssertProtocolError(input, message);

    [Fact]
    public void MultibulkCountLineTooLong_IsProtocolError()
    {
        AssertProtocolError("*" + new string('1', 16), "Protocol error: too big mbulk count string", Small);
        AssertProtocolError("*" + new string('1', 20) + "\r\n", "Protocol error: too big mbulk count string", Small);

        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("*" + new string('1', 64 * 1024)));
        var error = Assert.Throws<RespProtocolException>(() => RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
        Assert.Equal("Protocol error: too big mbulk count string", error.Message);
    }

    [Fact]
    public void BulkCountLineTooLong_IsProtocolError() =>
        AssertProtocolError("*1\r\n$" + new string('1', 16), "Protocol error: too big bulk count string", Small);

    [Fact]
    public void InlineLineTooLong_IsProtocolError()
    {
        AssertProtocolError(new string('A', 17), "Protocol error: too big inline request", Small);
        AssertProtocolError(new string('A', 17) + "\r\n", "Protocol error: too big inline request", Small);

        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(new string('A', (64 * 1024) + 1)));
        var error = Assert.Throws<RespProtocolException>(() => RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
        Assert.Equal("Protocol error: too big inline request", error.Message);
    }

    [Fact]
    public void InlineLineAtLimit_IsAccepted() =>
        AssertReads(Encoding.ASCII.GetBytes(new string('A', 16) + "\n"), Small, ["AAAAAAAAAAAAAAAA"u8.ToArray()]);

    [Fact]
    public void ErrorAfterCompleteRequests_ReturnsThemFirst()
    {
        var buffer = new ReadOnlySequence<byte>("PING\r\n*1\r\n+x\r\n"u8.ToArray());
        Assert.True(RespRequestReader.TryRead(ref buffer, RespLimits.Default, out var request));
        Assert.Equal("PING"u8.ToArray(), request!.Arguments[0]);
        Assert.Throws<RespProtocolException>(() => RespRequestReader.TryRead(ref buffer, RespLimits.Default, out _));
    }
}
