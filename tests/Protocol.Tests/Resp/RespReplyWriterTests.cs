using System.Buffers;
using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Protocol.Tests.Resp;

public class RespReplyWriterTests
{
    public static TheoryData<string, Reply, string, string> Cases => new()
    {
        { "simple", Reply.Ok, "+OK\r\n", "+OK\r\n" },
        { "error", Reply.Error("ERR syntax error"), "-ERR syntax error\r\n", "-ERR syntax error\r\n" },
        { "error with line breaks", Reply.Error("ERR bad\r\nthing"), "-ERR bad  thing\r\n", "-ERR bad  thing\r\n" },
        { "integer", Reply.Integer(-42), ":-42\r\n", ":-42\r\n" },
        { "integer min", Reply.Integer(long.MinValue), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n" },
        { "bulk", Reply.Bulk("a\r\nb"), "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n" },
        { "empty bulk", Reply.EmptyBulk, "$0\r\n\r\n", "$0\r\n\r\n" },
        { "null bulk", Reply.Null, "$-1\r\n", "_\r\n" },
        { "null array", Reply.NullArray, "*-1\r\n", "_\r\n" },
        { "empty array", Reply.EmptyArray, "*0\r\n", "*0\r\n" },
        {
            "nested array", Reply.Array(Reply.Integer(1), Reply.Array(Reply.Bulk("x"), Reply.Null)),
            "*2\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n", "*2\r\n:1\r\n*2\r\n$1\r\nx\r\n_\r\n"
        },
        {
            "set", new SetReply([Reply.Bulk("a"), Reply.Bulk("b")]),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\na\r\n$1\r\nb\r\n"
        },
        {
            "map", new MapReply([new(Reply.Bulk("k"), Reply.Integer(7)), new(Reply.Simple("s"), Reply.Double(0.5))]),
            "*4\r\n$1\r\nk\r\n:7\r\n+s\r\n$3\r\n0.5\r\n", "%2\r\n$1\r\nk\r\n:7\r\n+s\r\n,0.5\r\n"
        },
        { "empty map", new MapReply([]), "*0\r\n", "%0\r\n" },
        {
            "pairs", new PairsReply([new(Reply.Bulk("a"), Reply.Double(1)), new(Reply.Bulk("b"), Reply.Double(2.5))]),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n", "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
        },
        { "double", Reply.Double(1.1), "$18\r\n1.1000000000000001\r\n", ",1.1000000000000001\r\n" },
        { "double inf", Reply.Double(double.PositiveInfinity), "$3\r\ninf\r\n", ",inf\r\n" },
        { "double -inf", Reply.Double(double.NegativeInfinity), "$4\r\n-inf\r\n", ",-inf\r\n" },
        { "double nan", Reply.Double(double.NaN), "$3\r\nnan\r\n", ",nan\r\n" },
        { "true", Reply.Boolean(true), ":1\r\n", "#t\r\n" },
        { "false", Reply.Boolean(false), ":0\r\n", "#f\r\n" },
        { "verbatim", new VerbatimReply("txt", "Some string"u8.ToArray()), "$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n" },
        { "big number", new BigNumberReply("-12345678901234567890"), "$21\r\n-12345678901234567890\r\n", "(-12345678901234567890\r\n" },
        {
            "attribute", new AttributeReply(new MapReply([new(Reply.Bulk("k"), Reply.Integer(1))]), Reply.Bulk("v")),
            "$1\r\nv\r\n", "|1\r\n$1\r\nk\r\n:1\r\n$1\r\nv\r\n"
        },
        {
            "push", new PushReply([Reply.Bulk("message"), Reply.Bulk("ch"), Reply.Bulk("hi")]),
            "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_Resp2_ExactBytes(string name, Reply reply, string resp2, string resp3)
    {
        _ = name;
        _ = resp3;
        Assert.Equal(resp2, Render(reply, 2));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_Resp3_ExactBytes(string name, Reply reply, string resp2, string resp3)
    {
        _ = name;
        _ = resp2;
        Assert.Equal(resp3, Render(reply, 3));
    }

    [Fact]
    public void Write_LargeBulk_SpansBufferSegments()
    {
        byte[] value = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        var output = new ArrayBufferWriter<byte>(16);
        RespReplyWriter.Write(output, Reply.Bulk(value), 2);
        Assert.Equal([.. "$100000\r\n"u8, .. value, .. "\r\n"u8], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Write_ErrorOverload_WritesErrorLine()
    {
        var output = new ArrayBufferWriter<byte>();
        RespReplyWriter.Write(output, new ErrorReply(ErrorMessages.WrongType));
        Assert.Equal("-" + ErrorMessages.WrongType + "\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Write_UnknownProtocolVersion_Throws(int version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RespReplyWriter.Write(new ArrayBufferWriter<byte>(), Reply.Ok, version));

    internal static string Render(Reply reply, int version)
    {
        var output = new ArrayBufferWriter<byte>();
        RespReplyWriter.Write(output, reply, version);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }
}
