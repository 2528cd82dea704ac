using RaftKV.StateMachine.Snapshots;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keyspace as it was when a snapshot began, kept by copy-on-write at key granularity while applies go on.
/// Keys are written in canonical order, by ranges of positions; everything below <see cref="_next"/> is written.
/// Before <see cref="KeyTable"/> changes, replaces or removes a key not written yet, it calls
/// <see cref="BeforeChange"/>, which saves the key's snapshot bytes as they are then (or that it was absent), once:
/// the first change of a key sees its state at the start, since every change before it would have saved it.
/// Writing a range merges the live entries with these pre-images, a pre-image winning over the live entry.
/// <see cref="KeyTable.Clear"/> hands over its whole order set instead (nothing can reach those entries any more),
/// so FLUSHALL during a snapshot costs no copy. Memory: one encoded pre-image per key first changed while the
/// snapshot runs and not yet written, freed as the ranges pass them.
/// Not thread-safe: the caller excludes applies while calling <see cref="WriteNext"/> (reads may run alongside).
/// </summary>
internal sealed class FrozenKeyspace(KeyOrderIndex order)
{
    private readonly SortedSet<PreImage> _preImages = new(PreImageOrder.Instance);
    private KeyOrderIndex _source = order;
    private bool _detached;
    private ulong _next;

    /// <summary>True once every position has been written.</summary>
    public bool IsWritten { get; private set; }

    /// <summary>How many pre-images were saved so far (keys changed before they were written).</summary>
    public long PreImagesSaved { get; private set; }

    /// <summary>Pre-images held now (saved and not yet written).</summary>
    public int PreImagesHeld => _preImages.Count;

    /// <summary>Called by <see cref="KeyTable"/> before any change to <paramref name="key"/>; <paramref name="existing"/> is its entry, or null.</summary>
    public void BeforeChange(byte[] key, KeyEntry? existing)
    {
        if (_detached || IsWritten)
        {
            return;
        }

        var position = existing?.Position ?? KeyEntry.PositionOf(key);
        if (position < _next)
        {
            return;
        }

        var absent = new PreImage(position, key, null);
        if (_preImages.Contains(absent))
        {
            return;
        }

        _preImages.Add(existing is null ? absent : new PreImage(position, key, SnapshotEncoding.EncodeEntry(existing)));
        PreImagesSaved++;
    }

    /// <summary>Called by <see cref="KeyTable.Clear"/> with the order set it stops using.</summary>
    public void Detach(KeyOrderIndex order)
    {
        if (!_detached)
        {
            _source = order;
            _detached = true;
        }
    }

    /// <summary>
    /// Writes the keys at the next <paramref name="width"/> positions (all that remain when the width reaches past
    /// the end) as they were at the start, in canonical order. Returns how many keys it wrote.
    /// </summary>
    public long WriteNext(ulong width, CanonicalWriter writer)
    {
        if (IsWritten)
        {
            return 0;
        }

        var from = _next;
        var to = width == 0 || ulong.MaxValue - from < width - 1 ? ulong.MaxValue : from + (width - 1);
        long written = 0;
        foreach (var entry in _source.From(from))
        {
            if (entry.Position > to)
            {
                break;
            }

            // Pre-images that sort before this entry (keys deleted since the start), then this key's own, if any.
            var replaced = false;
            while (!replaced && _preImages.Min is { } image && image.Position <= to)
            {
                var order = PreImageOrder.Compare(image.Position, image.Key, entry.Position, entry.KeySpan);
                if (order > 0)
                {
                    break;
                }

                written += WriteImage(image, writer);
                replaced = order == 0;
            }

            if (!replaced)
            {
                SnapshotEncoding.WriteEntry(writer, entry);
                written++;
            }
        }

        while (_preImages.Min is { } image && image.Position <= to)
        {
            written += WriteImage(image, writer);
        }

        if (to == ulong.MaxValue)
        {
            IsWritten = true;
            _preImages.Clear();
        }
        else
        {
            _next = to + 1;
        }

        return written;
    }

    private int WriteImage(PreImage image, CanonicalWriter writer)
    {
        _preImages.Remove(image);
        if (image.Bytes is null)
        {
            return 0;
        }

        writer.WriteBytes(image.Bytes);
        return 1;
    }

    /// <summary>A key's state at the start: its snapshot bytes, or null when it did not exist.</summary>
    private sealed record PreImage(ulong Position, byte[] Key, byte[]? Bytes);

    /// <summary>The canonical key order (<see cref="KeyOrder"/>) for pre-images.</summary>
    private sealed class PreImageOrder : IComparer<PreImage>
    {
        public static readonly PreImageOrder Instance = new();

        public static int Compare(ulong xPosition, ReadOnlySpan<byte> xKey, ulong yPosition, ReadOnlySpan<byte> yKey)
        {
            var byPosition = xPosition.CompareTo(yPosition);
            return byPosition != 0 ? byPosition : xKey.SequenceCompareTo(yKey);
        }

        public int Compare(PreImage? x, PreImage? y) =>
            ReferenceEquals(x, y) ? 0 : x is null ? -1 : y is null ? 1 : Compare(x.Position, x.Key, y.Position, y.Key);
    }
}
