using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis string, made by <see cref="Of(byte[])"/>. Immutable: replace the value, never change it.
/// <para>
/// Memory: most keys hold small strings, and an object with an array costs 24 bytes plus the array's 24 and its
/// contents rounded up to 8. Strings of up to 15 bytes are therefore kept inside the object (24 bytes up to 7,
/// 32 up to 15: 56-64 bytes less per key); <see cref="Bytes"/> of those makes a copy. Strings set otherwise than by
/// SET and the like (<see cref="StringEncoding"/>) are rare and keep an array and their encoding.
/// </para>
/// </summary>
internal abstract class StringValue : StoredValue
{
    /// <summary>Redis keeps strings up to this length in one allocation with the object (embstr).</summary>
    private const int EmbeddedLimit = 44;

    /// <summary>The string's bytes: the value's own array, or a copy for a string kept inside the object.</summary>
    public abstract byte[] Bytes { get; }

    /// <summary>The string's bytes without a copy; valid while the value is (it never changes).</summary>
    public abstract ReadOnlySpan<byte> Span { get; }

    public int Length => Span.Length;

    public virtual StringEncoding StringEncoding => StringEncoding.ByContent;

    public override ValueKind Kind => ValueKind.String;

    public override string Encoding => StringEncoding switch
    {
        StringEncoding.Raw => "raw",
        StringEncoding.ByContent when Length <= 20 && RedisIntegers.TryParse(Span, out _) => "int",
        _ => Length <= EmbeddedLimit ? "embstr" : "raw",
    };

    /// <summary>A string set by SET and the like (<see cref="StringEncoding.ByContent"/>); takes ownership of <paramref name="bytes"/>.</summary>
    public static StringValue Of(byte[] bytes) =>
        bytes.Length <= Inline<Bytes8>.Capacity ? new Inline<Bytes8>(bytes)
        : bytes.Length <= Inline<Bytes16>.Capacity ? new Inline<Bytes16>(bytes)
        : new Heap(bytes);

    /// <summary>A string that Redis would have stored as <paramref name="encoding"/> says.</summary>
    public static StringValue Of(byte[] bytes, StringEncoding encoding) =>
        encoding == StringEncoding.ByContent ? Of(bytes) : new Encoded(bytes, encoding);

    public override StoredValue Clone() => Of(Bytes, StringEncoding);

    public override void WriteCanonical(CanonicalWriter writer) => writer.WriteString(Span);

    /// <summary>
    /// Up to <see cref="Capacity"/> bytes and their length in the last byte of one field of
    /// <typeparamref name="TBuffer"/>, an inline array of bytes (<see cref="Bytes8"/>, <see cref="Bytes16"/>).
    /// </summary>
    private sealed class Inline<TBuffer> : StringValue
        where TBuffer : struct
    {
        public static readonly int Capacity = Unsafe.SizeOf<TBuffer>() - 1;

        private TBuffer _data;

        public Inline(ReadOnlySpan<byte> bytes)
        {
            var buffer = Buffer;
            bytes.CopyTo(buffer);
            buffer[Capacity] = (byte)bytes.Length;
        }

        public override ReadOnlySpan<byte> Span => Buffer[..Buffer[Capacity]];

        public override byte[] Bytes => Span.ToArray();

        private Span<byte> Buffer => MemoryMarshal.CreateSpan(ref Unsafe.As<TBuffer, byte>(ref _data), Unsafe.SizeOf<TBuffer>());
    }

    private class Heap(byte[] bytes) : StringValue
    {
        public override byte[] Bytes { get; } = bytes;

        public override ReadOnlySpan<byte> Span => Bytes;
    }

    /// <summary>A string built otherwise than by SET (INCRBYFLOAT, APPEND, SETRANGE), which OBJECT ENCODING tells apart.</summary>
    private sealed class Encoded(byte[] bytes, StringEncoding encoding) : Heap(bytes)
    {
        public override StringEncoding StringEncoding { get; } = encoding;
    }

    [InlineArray(8)]
    private struct Bytes8
    {
        private byte _element;
    }

    [InlineArray(16)]
    private struct Bytes16
    {
        private byte _element;
    }
}
