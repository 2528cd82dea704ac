using System.Buffers.Text;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Values.Streams;

/// <summary>A stream entry id, <c>ms-seq</c>: two unsigned 64-bit numbers, ordered by ms then seq.</summary>
internal readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Zero = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    public bool IsZero => Ms == 0 && Seq == 0;

    public int CompareTo(StreamId other)
    {
        var byMs = Ms.CompareTo(other.Ms);
        return byMs != 0 ? byMs : Seq.CompareTo(other.Seq);
    }

    public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;

    public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;

    public static bool operator <=(StreamId left, StreamId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(StreamId left, StreamId right) => left.CompareTo(right) >= 0;

    /// <summary>The next id (streamIncrID); false past the largest, which wraps to 0-0.</summary>
    /// <remarks>Reads this id before it writes <paramref name="next"/>, which may be the same variable.</remarks>
    public bool TryIncrement(out StreamId next)
    {
        var (ms, seq) = (Ms, Seq);
        var ok = seq != ulong.MaxValue || ms != ulong.MaxValue;
        next = seq != ulong.MaxValue ? new StreamId(ms, seq + 1) : ok ? new StreamId(ms + 1, 0) : Zero;
        return ok;
    }

    /// <summary>The previous id (streamDecrID); false before 0-0, which wraps to the largest.</summary>
    /// <remarks>Reads this id before it writes <paramref name="previous"/>, which may be the same variable.</remarks>
    public bool TryDecrement(out StreamId previous)
    {
        var (ms, seq) = (Ms, Seq);
        var ok = seq != 0 || ms != 0;
        previous = seq != 0 ? new StreamId(ms, seq - 1) : ok ? new StreamId(ms - 1, ulong.MaxValue) : Max;
        return ok;
    }

    public byte[] ToBytes()
    {
        Span<byte> buffer = stackalloc byte[41];
        Utf8Formatter.TryFormat(Ms, buffer, out var written);
        buffer[written++] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, buffer[written..], out var seqWritten);
        return buffer[..(written + seqWritten)].ToArray();
    }

    public override string ToString() => $"{Ms}-{Seq}";

    /// <summary>
    /// Parses <c>ms</c> or <c>ms-seq</c> (a missing seq is <paramref name="missingSeq"/>), and <c>-</c> / <c>+</c> for the
    /// smallest and largest ids unless <paramref name="strict"/>. With <paramref name="allowSeqWildcard"/>, <c>ms-*</c>
    /// parses with <paramref name="seqGiven"/> false (XADD). As Redis's streamGenericParseIDOrReply.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, ulong missingSeq, bool strict, out StreamId id) =>
        TryParse(text, missingSeq, strict, allowSeqWildcard: false, out id, out _);

    public static bool TryParse(ReadOnlySpan<byte> text, ulong missingSeq, bool strict, bool allowSeqWildcard, out StreamId id, out bool seqGiven)
    {
        id = Zero;
        seqGiven = true;
        if (text.Length > 127)
        {
            return false;
        }

        if (text.Length == 1 && (text[0] == (byte)'-' || text[0] == (byte)'+'))
        {
            if (strict)
            {
                return false;
            }

            id = text[0] == (byte)'-' ? Zero : Max;
            return true;
        }

        var dash = text.IndexOf((byte)'-');
        var msText = dash < 0 ? text : text[..dash];
        if (!TryParseUnsigned(msText, out var ms))
        {
            return false;
        }

        ulong seq;
        if (dash < 0)
        {
            seq = missingSeq;
        }
        else if (allowSeqWildcard && text.Length - dash == 2 && text[dash + 1] == (byte)'*')
        {
            seq = 0;
            seqGiven = false;
        }
        else if (!TryParseUnsigned(text[(dash + 1)..], out seq))
        {
            return false;
        }

        id = new StreamId(ms, seq);
        return true;
    }

    // As Redis's string2ull: a decimal without sign (a leading '+' allowed), up to 2^64-1. A cursor's parse, which
    // also takes a '-' (strtoul's negation), once a sign of '-' is refused.
    private static bool TryParseUnsigned(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        return (text.IsEmpty || text[0] != (byte)'-') && RedisIntegers.TryParseCursor(text, out value);
    }
}
