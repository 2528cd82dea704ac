using System.Buffers;
using System.Text;
using RaftKV.Protocol.Resp;

namespace RaftKV.Protocol.Tests.Resp;

/// <summary>
/// A request arriving in many reads is walked once: each read goes on from the last argument found whole. Before
/// RespRequestScan every read walked the frame from its first byte, so a client trickling a 6 MB RPUSH in 1 KB pieces
/// kept a core of the node busy for as long as it sent (2.65 CPU-s against redis-server's 0.14).
/// </summary>
public class RespRequestScanTests
{
    private static byte[] Frame(int arguments, out int headerLength)
    {
        var text = new StringBuilder($"*{arguments + 2}\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n");
        headerLength = Encoding.ASCII.GetByteCount($"*{arguments + 2}\r\n");
        for (int i = 0; i < arguments; i++)
        {
            string value = "v" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
            text.Append($"${value.Length}\r\n{value}\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(4096)]
    public void AFrameArrivingInPieces_IsWalkedOnce_AndReadWhole(int piece)
    {
        const int Values = 20_000;
        byte[] frame = Frame(Values, out int header);
        var scan = new RespRequestScan();
        RespRequest? request = null;
        int reads = 0;
        for (int arrived = Math.Min(piece, frame.Length); request is null; arrived = Math.Min(arrived + piece, frame.Length))
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, arrived);
            reads++;
            if (RespRequestReader.TryRead(ref buffer, RespLimits.Default, scan, out request))
            {
                Assert.True(buffer.IsEmpty);
            }
            else
            {
                Assert.Equal(arrived, buffer.Length); // nothing consumed until the request is whole
            }
        }

        Assert.Equal(Values + 2, request.Arguments.Length);
        Assert.Equal("v00019999"u8.ToArray(), request.Arguments[^1]);
        Assert.True(reads >= frame.Length / piece);

        // Every argument's bytes stepped over exactly once, however many reads the frame took.
        Assert.Equal(frame.Length - header, scan.Stepped);
        Assert.Equal(0, scan.Count);
    }

    [Fact]
    public void AfterAWholeFrame_TheNextFrameStartsAfresh()
    {
        var scan = new RespRequestScan();
        byte[] first = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"u8.ToArray();
        byte[] second = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"u8.ToArray();
        byte[] input = [.. first, .. second];
        var partial = new ReadOnlySequence<byte>(input, 0, first.Length + 10);
        Assert.True(RespRequestReader.TryRead(ref partial, RespLimits.Default, scan, out var set));
        Assert.Equal("SET"u8.ToArray(), set!.Arguments[0]);
        Assert.False(RespRequestReader.TryRead(ref partial, RespLimits.Default, scan, out _));
        Assert.Equal(2, scan.Count);

        var rest = new ReadOnlySequence<byte>(input, first.Length, second.Length);
        Assert.True(RespRequestReader.TryRead(ref rest, RespLimits.Default, scan, out var get));
        Assert.Equal(["GET"u8.ToArray(), "k"u8.ToArray()], get!.Arguments);
        Assert.Equal(0, scan.Count);
    }
}
