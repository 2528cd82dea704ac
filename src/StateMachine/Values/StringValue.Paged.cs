using System.Buffers;
using System.Runtime.InteropServices;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A long string changed in place by SETBIT or SETRANGE (<see cref="Patched"/>): pages of <see cref="PageSize"/> bytes
/// that each version shares with the one it was made from, except the pages the change wrote. A SETBIT on a 1 MB bitmap
/// copied the whole megabyte on every node (1,500 SETBIT/s pipelined against 38,000 on a small bitmap; redis-server
/// 165,000); it now copies one page and the page table. Pages are never written once a value holds them, so every
/// version, a snapshot in progress or the watch history included, reads what it read before.
/// </summary>
internal abstract partial class StringValue
{
    /// <summary>Strings of this many bytes or more are kept in pages once SETBIT or SETRANGE changes them.</summary>
    internal const int PagedFrom = 64 * 1024;

    private const int PageShift = 14;
    private const int PageSize = 1 << PageShift;

    /// <summary>Whether the bytes are in pages (their <see cref="Span"/> is then made, once per value, on first use).</summary>
    public bool IsPaged => this is Paged;

    /// <summary>
    /// SETBIT and SETRANGE: <paramref name="old"/> (null: none) with <paramref name="patch"/> written at
    /// <paramref name="offset"/>, zero-filled from its end up to there, as a raw string. The caller checked the length.
    /// </summary>
    public static StringValue Patched(StringValue? old, int offset, ReadOnlySpan<byte> patch)
    {
        int oldLength = old?.Length ?? 0;
        int length = Math.Max(oldLength, offset + patch.Length);
        if (length < PagedFrom)
        {
            var bytes = new byte[length];
            old?.CopyTo(0, bytes.AsSpan(0, oldLength));
            patch.CopyTo(bytes.AsSpan(offset));
            return new Encoded(bytes, StringEncoding.Raw);
        }

        var source = old as Paged ?? Paged.Of(old);
        return source.With(offset, patch, length);
    }

    private sealed class Paged(byte[][] pages, int length) : StringValue
    {
        private byte[]? _flat;

        public static Paged Of(StringValue? value)
        {
            int length = value?.Length ?? 0;
            var pages = new byte[(length + PageSize - 1) >> PageShift][];
            for (int i = 0; i < pages.Length; i++)
            {
                pages[i] = new byte[PageSize];
                int start = i << PageShift;
                value!.CopyTo(start, pages[i].AsSpan(0, Math.Min(PageSize, length - start)));
            }

            return new Paged(pages, length);
        }

        public override int Length => length;

        public override ReadOnlySpan<byte> Span => Flat;

        // The flat copy is this value's own and never written after it is made.
        public override byte[] Bytes => Flat;

        public override ReadOnlyMemory<byte> Memory => new OnDemand(this).Memory;

        public override StringEncoding StringEncoding => StringEncoding.Raw;

        public override byte ByteAt(int index) => pages[index >> PageShift][index & (PageSize - 1)];

        // As StringValue writes it (length, then the bytes), page by page: MEMORY USAGE, eviction's sizes, digests and
        // snapshots do not make the string whole.
        public override void WriteCanonical(CanonicalWriter writer)
        {
            writer.WriteInt32(length);
            for (int start = 0; start < length; start += PageSize)
                writer.WriteBytes(pages[start >> PageShift].AsSpan(0, Math.Min(PageSize, length - start)));
        }

        public override void CopyTo(int start, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                int within = start & (PageSize - 1);
                int part = Math.Min(PageSize - within, destination.Length);
                pages[start >> PageShift].AsSpan(within, part).CopyTo(destination);
                destination = destination[part..];
                start += part;
            }
        }

        /// <summary>Made once, by whichever reader first needs it (two at once make equal copies).</summary>
        private byte[] Flat
        {
            get
            {
                if (Volatile.Read(ref _flat) is { } flat)
                    return flat;
                flat = new byte[length];
                CopyTo(0, flat);
                Volatile.Write(ref _flat, flat); // published whole to readers on other threads
                return flat;
            }
        }

        /// <summary>This string with <paramref name="patch"/> at <paramref name="offset"/>, <paramref name="newLength"/> long.</summary>
        public Paged With(int offset, ReadOnlySpan<byte> patch, int newLength)
        {
            var table = new byte[(newLength + PageSize - 1) >> PageShift][];
            pages.CopyTo(table, 0);
            for (int i = pages.Length; i < table.Length; i++)
                table[i] = new byte[PageSize];
            while (!patch.IsEmpty)
            {
                int number = offset >> PageShift;
                int within = offset & (PageSize - 1);
                int part = Math.Min(PageSize - within, patch.Length);
                // A page this value shares with others is copied before it is written; a page just added is its own.
                if (number < pages.Length)
                    table[number] = (byte[])table[number].Clone();
                patch[..part].CopyTo(table[number].AsSpan(within));
                patch = patch[part..];
                offset += part;
            }

            return new Paged(table, newLength);
        }

        /// <summary>The value's bytes as memory whose span is made only when read (the watch history holds it).</summary>
        private sealed class OnDemand(Paged value) : MemoryManager<byte>
        {
            private readonly Lock _gate = new();
            private GCHandle _pin;
            private int _pins;

            public override Span<byte> GetSpan() => value.Flat;

            public override Memory<byte> Memory => CreateMemory(value.Length);

            // Pins nest: the handle is freed when the last one is let go.
            public override MemoryHandle Pin(int elementIndex = 0)
            {
                lock (_gate)
                {
                    if (_pins++ == 0)
                        _pin = GCHandle.Alloc(value.Flat, GCHandleType.Pinned);
                    unsafe
                    {
                        return new MemoryHandle((byte*)_pin.AddrOfPinnedObject() + elementIndex, default, this);
                    }
                }
            }

            public override void Unpin()
            {
                lock (_gate)
                {
                    if (_pins > 0 && --_pins == 0)
                        _pin.Free();
                }
            }

            protected override void Dispose(bool disposing)
            {
                lock (_gate)
                {
                    if (_pins > 0)
                        _pin.Free();
                    _pins = 0;
                }
            }
        }
    }
}
