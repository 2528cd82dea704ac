using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RaftKV.StateMachine.Numbers;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis string, made by <see cref="Of(byte[])"/> or <see cref="Append"/>. Immutable: replace the value, never change
/// it (a snapshot reads values while applies go on, and a reply may hold a value's bytes after the state's lock is let go).
/// <para>
/// Memory: most keys hold small strings, and an object with an array costs 24 bytes plus the array's 24 and its
/// contents rounded up to 8. Strings of up to 15 bytes are therefore kept inside the object (24 bytes up to 7,
/// 32 up to 15: 56-64 bytes less per key); <see cref="Bytes"/> of those makes a copy. Strings set otherwise than by
/// SET and the like (<see cref="StringEncoding"/>) are rare and keep an array and their encoding.
/// </para>
/// </summary>
internal abstract partial class StringValue : StoredValue
{
    /// <summary>Redis keeps strings up to this length in one allocation with the object (embstr).</summary>
    private const int EmbeddedLimit = 44;

    /// <summary>The string's bytes: the value's own array, or a copy for a string kept inside the object.</summary>
    public abstract byte[] Bytes { get; }

    /// <summary>The string's bytes without a copy; valid while the value is (it never changes).</summary>
    public abstract ReadOnlySpan<byte> Span { get; }

    /// <summary>
    /// The string's bytes as memory that never changes and may be kept after the value is replaced; empty for a string
    /// kept inside the object (up to 15 bytes), which has none.
    /// </summary>
    public virtual ReadOnlyMemory<byte> Memory => default;

    public virtual int Length => Span.Length;

    /// <summary>The byte at <paramref name="index"/> (less than <see cref="Length"/>), without making the whole string.</summary>
    public virtual byte ByteAt(int index) => Span[index];

    /// <summary>The bytes from <paramref name="start"/> on into <paramref name="destination"/> (the range lies within the string).</summary>
    public virtual void CopyTo(int start, Span<byte> destination) => Span.Slice(start, destination.Length).CopyTo(destination);

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

    /// <summary>
    /// APPEND onto an existing string: <paramref name="old"/> followed by <paramref name="tail"/>, as a raw string (as
    /// Redis appends in place to a raw sds). A string past <see cref="GrowableFrom"/> bytes gets room to grow as Redis's
    /// sdsMakeRoomFor gives it (twice its length below 1 MB, 1 MB more above, and here at least an eighth more, since a
    /// .NET array cannot grow in place as Redis's realloc often does), and the next APPEND writes into that room
    /// instead of copying the string: 20,000 APPENDs of 1 KB took 500 s (each copied the whole string on every node), 1.6 s
    /// on redis-server. <paramref name="old"/> itself does not change: the new value sees more of the same buffer, and
    /// only the value that ends where the buffer's written part ends may write on into it. The caller checked the length.
    /// </summary>
    public static StringValue Append(StringValue old, ReadOnlySpan<byte> tail)
    {
        ArgumentNullException.ThrowIfNull(old);
        if (old is Growable growable && growable.TryAppend(tail) is { } grown)
            return grown;
        int length = old.Length + tail.Length;
        long capacity = length <= GrowableFrom ? length : length < 1024 * 1024 ? 2L * length : length + Math.Max(1024L * 1024, length / 8);
        var data = new byte[Math.Min(capacity, Array.MaxLength)];
        old.Span.CopyTo(data);
        tail.CopyTo(data.AsSpan(old.Length));
        return length <= GrowableFrom ? new Encoded(data, StringEncoding.Raw) : new Growable(new Room(data, length), length);
    }

    /// <summary>Strings up to this many bytes are appended to by copying them (cheap), without room to grow.</summary>
    internal const int GrowableFrom = 256;

    // A string never changes (APPEND's room is written only past every value's end, a page never once held), so its copy
    // is itself: a script's undo journal and COPY no longer copy a long string (a paged one was made whole to copy it).
    public override StoredValue Clone() => this;

    /// <summary>The string's <see cref="StringEncoding"/> (what OBJECT ENCODING reports follows it), then its bytes.</summary>
    public override void WriteSnapshot(CanonicalWriter writer)
    {
        writer.WriteByte((byte)StringEncoding);
        WriteCanonical(writer);
    }

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

        public override ReadOnlyMemory<byte> Memory => Bytes;
    }

    /// <summary>A string built otherwise than by SET (INCRBYFLOAT, APPEND, SETRANGE), which OBJECT ENCODING tells apart.</summary>
    private sealed class Encoded(byte[] bytes, StringEncoding encoding) : Heap(bytes)
    {
        public override StringEncoding StringEncoding { get; } = encoding;
    }

    /// <summary>A buffer shared by the values APPEND made from one another, and how much of it they have written.</summary>
    private sealed class Room(byte[] data, int written)
    {
        public byte[] Data { get; } = data;

        public int Written { get; set; } = written;
    }

    /// <summary>A raw string made by APPEND: the first <c>length</c> bytes of a buffer that may have room after them.</summary>
    private sealed class Growable(Room room, int length) : StringValue
    {
        public override ReadOnlySpan<byte> Span => room.Data.AsSpan(0, length);

        public override ReadOnlyMemory<byte> Memory => room.Data.AsMemory(0, length);

        // A full buffer is never written again (a later APPEND copies it), so it may be handed out whole.
        public override byte[] Bytes => length == room.Data.Length ? room.Data : Span.ToArray();

        public override StringEncoding StringEncoding => StringEncoding.Raw;

        /// <summary>This string and <paramref name="tail"/> in the same buffer, or null when there is no room or a later value wrote on.</summary>
        public Growable? TryAppend(ReadOnlySpan<byte> tail)
        {
            if (room.Written != length || room.Data.Length - length < tail.Length)
                return null;
            tail.CopyTo(room.Data.AsSpan(length));
            room.Written = length + tail.Length;
            return new Growable(room, room.Written);
        }
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
