namespace RaftKV.Protocol.Resp;

/// <summary>
/// The fast path: a small multibulk request that lies whole in one span is read in one pass over it, where the general
/// path walks a <see cref="System.Buffers.ReadOnlySequence{T}"/> twice (once to frame, once to copy). It accepts only
/// what the general path would read whole to the same arguments; anything else (an incomplete or malformed frame, a
/// limit reached, more than <see cref="SmallCount"/> arguments) is left to the general path, which gives the same
/// outcome and error it always did. The parse of a request was a quarter of the RESP loop's time at SET -P 16.
/// </summary>
public static partial class RespRequestReader
{
    /// <summary>Most arguments the fast path reads (their places are kept on the stack until the frame is known whole).</summary>
    private const int SmallCount = 64;

    private static bool TryReadSmallMultibulk(
        ReadOnlySpan<byte> span, RespLimits limits, RespRequestScan? scan, out int consumed, out byte[][] arguments)
    {
        consumed = 0;
        arguments = null!;
        if (!TrySpanHeader(span, 0, limits, (byte)'*', out var count, out var position)
            || count <= 0 || count > SmallCount || count > limits.MaxArrayLength || count > limits.UnauthenticatedMaxArrayLength)
            return false;

        Span<long> places = stackalloc long[SmallCount];
        var first = position;
        for (var i = 0; i < count; i++)
        {
            if (!TrySpanHeader(span, position, limits, (byte)'$', out var length, out var payload)
                || length > limits.MaxBulkLength || length > limits.UnauthenticatedMaxBulkLength
                || span.Length - payload < length + 2)
                return false;
            places[i] = ((long)payload << 32) | length;
            position = payload + (int)length + 2;
        }

        arguments = new byte[count][];
        for (var i = 0; i < count; i++)
            arguments[i] = span.Slice((int)(places[i] >> 32), (int)(places[i] & 0xFFFF_FFFF)).ToArray();
        if (scan is not null)
            scan.Stepped += position - first;
        consumed = position;
        return true;
    }

    /// <summary>
    /// A header line at <paramref name="start"/> of type <paramref name="type"/> whose CR (followed by one more byte) lies
    /// in the span within <see cref="RespLimits.MaxInlineLength"/> bytes, with a number of 1 to 20 digits that
    /// string2ll accepts and that is not negative; <paramref name="next"/> is where the line's CRLF ends.
    /// </summary>
    private static bool TrySpanHeader(ReadOnlySpan<byte> span, int start, RespLimits limits, byte type, out long value, out int next)
    {
        value = 0;
        next = 0;
        var rest = span[start..];
        var cr = rest[..(int)Math.Min(rest.Length, (long)limits.MaxInlineLength + 1)].IndexOf((byte)'\r');
        if (cr < 2 || rest.Length < cr + 2 || rest[0] != type || !RedisNumber.TryParseLong(rest[1..cr], out value) || value < 0)
            return false;
        next = start + cr + 2;
        return true;
    }
}
