using System.Buffers;
using System.Text;
using RaftKV.Protocol.Resp;

namespace RaftKV.Protocol.Tests.Resp;

/// <summary>
/// RespReplyScan, fed a reply one more byte at a time as reads would bring it, says whole exactly when the last byte is
/// there (and RespReplyReader then reads it), for every reply type and nesting the relay carries.
/// </summary>
public sealed class RespReplyScanTests
{
    public static TheoryData<string> Replies => new()
    {
        "+OK\r\n",
        "-ERR wrong\r\n",
        ":42\r\n",
        "$5\r\nhello\r\n",
        "$0\r\n\r\n",
        "$-1\r\n",
        "*-1\r\n",
        "*0\r\n",
        "*3\r\n$1\r\na\r\n:1\r\n*2\r\n+x\r\n$-1\r\n",
        "%2\r\n+k1\r\n:1\r\n+k2\r\n*1\r\n$2\r\nab\r\n",
        "~2\r\n,3.5\r\n#t\r\n",
        ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nmsg\r\n",
        "|1\r\n+key\r\n:7\r\n*2\r\n_\r\n(12345678901234567890\r\n",
        "=9\r\ntxt:hello\r\n",
        "!5\r\nERR x\r\n",
        "*2\r\n*2\r\n*1\r\n:1\r\n$3\r\n\r\nx\r\n:9\r\n",
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void AReplyArrivingByteByByte_IsWholeOnlyAtItsLastByte(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text + "+NEXT\r\n");
        var length = Encoding.ASCII.GetByteCount(text);
        var scan = new RespReplyScan();
        for (var end = 0; end < length; end++)
            Assert.False(scan.IsWhole(new ReadOnlySequence<byte>(bytes, 0, end)), $"whole after {end} of {length} bytes");
        var whole = new ReadOnlySequence<byte>(bytes);
        Assert.True(scan.IsWhole(whole));
        Assert.True(RespReplyReader.TryRead(ref whole, out _));
        Assert.Equal("+NEXT\r\n", Encoding.ASCII.GetString(whole.ToArray()));
    }

    [Fact]
    public void AHeaderItCannotRead_IsLeftToTheParser()
    {
        var scan = new RespReplyScan();
        Assert.True(scan.IsWhole(new ReadOnlySequence<byte>("*x\r\n"u8.ToArray())));
        Assert.True(new RespReplyScan().IsWhole(new ReadOnlySequence<byte>("?1\r\n"u8.ToArray())));
        Assert.True(new RespReplyScan().IsWhole(new ReadOnlySequence<byte>("$-2\r\n"u8.ToArray())));
    }

    [Fact]
    public void AMillionElementReply_ArrivingIn64KReads_IsWholeOnlyAtTheEnd()
    {
        // The relay's case: 1.1M bulk strings in 64 KB reads (checked from the start at each read, that took seconds).
        var builder = new StringBuilder("*1100000\r\n");
        for (var i = 0; i < 1_100_000; i++)
            builder.Append("$1\r\nx\r\n");
        var bytes = Encoding.ASCII.GetBytes(builder.ToString());
        var scan = new RespReplyScan();
        for (var end = 64 * 1024; end < bytes.Length; end += 64 * 1024)
            Assert.False(scan.IsWhole(new ReadOnlySequence<byte>(bytes, 0, end)));
        Assert.True(scan.IsWhole(new ReadOnlySequence<byte>(bytes)));
        var parsed = new ReadOnlySequence<byte>(bytes);
        Assert.True(RespReplyReader.TryRead(ref parsed, RespLimits.FromMember, out var reply));
        Assert.Equal(1_100_000, Assert.IsType<RaftKV.Protocol.Replies.ArrayReply>(reply).Items.Count);
    }
}
