using System.Text;
using System.Buffers.Text;

namespace RaftKV.RespCeiling;

/// <summary>
/// Just enough RESP for redis-benchmark: multibulk requests of GET, SET, PING and CONFIG GET, parsed from one
/// contiguous buffer and answered into another. Returns how many request bytes it consumed (whole requests only).
/// </summary>
internal static class Resp
{
    private static readonly byte[] s_ok = "+OK\r\n"u8.ToArray();
    private static readonly byte[] s_pong = "+PONG\r\n"u8.ToArray();
    private static readonly byte[] s_nil = "$-1\r\n"u8.ToArray();
    private static readonly byte[] s_empty = "*0\r\n"u8.ToArray();
    private static readonly byte[] s_unknown = "-ERR unknown command\r\n"u8.ToArray();

    /// <summary>Runs every whole request in <paramref name="input"/>; replies go to <paramref name="output"/>.</summary>
    public static int Process(ReadOnlySpan<byte> input, KeyValues values, ReplyBuffer output)
    {
        var consumed = 0;
        Span<Range> args = stackalloc Range[8];
        while (TryParse(input[consumed..], args, out var count, out var length))
        {
            var request = input.Slice(consumed, length);
            Run(request, args[..Math.Min(count, args.Length)], count, values, output);
            consumed += length;
        }

        return consumed;
    }

    private static void Run(ReadOnlySpan<byte> request, ReadOnlySpan<Range> args, int count, KeyValues values, ReplyBuffer output)
    {
        var name = request[args[0]];
        if (count == 2 && Ascii.EqualsIgnoreCase(name, "GET"u8))
        {
            if (values.Get(request[args[1]]) is { } value)
            {
                Span<byte> header = stackalloc byte[16];
                header[0] = (byte)'$';
                Utf8Formatter.TryFormat(value.Length, header[1..], out var digits);
                "\r\n"u8.CopyTo(header[(1 + digits)..]);
                output.Write(header[..(digits + 3)]);
                output.Write(value);
                output.Write("\r\n"u8);
            }
            else
            {
                output.Write(s_nil);
            }
        }
        else if (count == 3 && Ascii.EqualsIgnoreCase(name, "SET"u8))
        {
            values.Set(request[args[1]], request[args[2]]);
            output.Write(s_ok);
        }
        else if (Ascii.EqualsIgnoreCase(name, "PING"u8))
        {
            output.Write(s_pong);
        }
        else if (Ascii.EqualsIgnoreCase(name, "CONFIG"u8))
        {
            output.Write(s_empty);
        }
        else
        {
            output.Write(s_unknown);
        }
    }

    // *N\r\n then N times $L\r\n<L bytes>\r\n. False when the request is not whole yet.
    private static bool TryParse(ReadOnlySpan<byte> input, Span<Range> args, out int count, out int length)
    {
        count = length = 0;
        if (input.Length < 4 || input[0] != (byte)'*')
            return false;
        var position = 1;
        if (!TryLine(input, ref position, out count) || count < 1)
            return false;
        for (var i = 0; i < count; i++)
        {
            if (position >= input.Length || input[position] != (byte)'$')
                return false;
            position++;
            if (!TryLine(input, ref position, out var size) || position + size + 2 > input.Length)
                return false;
            if (i < args.Length)
                args[i] = new Range(position, position + size);
            position += size + 2;
        }

        length = position;
        return true;
    }

    private static bool TryLine(ReadOnlySpan<byte> input, ref int position, out int value)
    {
        value = 0;
        var end = input[position..].IndexOf((byte)'\r');
        if (end < 0 || position + end + 1 >= input.Length)
            return false;
        if (!Utf8Parser.TryParse(input.Slice(position, end), out value, out _))
            return false;
        position += end + 2;
        return true;
    }
}
