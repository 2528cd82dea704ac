using System.Buffers;
using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Protocol.Tests.Resp;

/// <summary>
/// A follower relays the leader's RESP3 reply by reading and re-writing it: a double must go out with the leader's
/// text, since Redis writes some doubles in forms other than %.17g (GEOPOS: "13.36138933897018433").
/// </summary>
public class DoubleTextRelayTests
{
    [Theory]
    [InlineData(",13.36138933897018433\r\n")]
    [InlineData(",38.11555639549629859\r\n")]
    [InlineData(",-0.12779921293258667\r\n")]
    [InlineData(",1.1000000000000001\r\n")]
    [InlineData(",inf\r\n")]
    public void ReadThenWrite_Resp3Double_KeepsTheWireText(string wire)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(wire));
        Assert.True(RespReplyReader.TryRead(ref buffer, out var reply));
        Assert.Equal(wire, Write(reply!, 3));
    }

    [Fact]
    public void Write_DoubleWithText_SendsTheTextUnderBothProtocols()
    {
        var reply = new DoubleReply(13.361389338970184, "13.36138933897018433");
        Assert.Equal(",13.36138933897018433\r\n", Write(reply, 3));
        Assert.Equal("$20\r\n13.36138933897018433\r\n", Write(reply, 2));
    }

    [Fact]
    public void Write_DoubleWithoutText_IsPercent17g() =>
        Assert.Equal(",1.1000000000000001\r\n", Write(new DoubleReply(1.1), 3));

    private static string Write(Reply reply, int version)
    {
        var output = new ArrayBufferWriter<byte>();
        RespReplyWriter.Write(output, reply, version);
        return Encoding.ASCII.GetString(output.WrittenSpan);
    }
}
