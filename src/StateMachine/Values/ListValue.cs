namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis list: elements in list order, held in a ring buffer so that pushes and pops at both ends are
/// O(1) and indexing is O(1). Redis 7.0 reports every list as <c>quicklist</c>. Never empty in the keyspace:
/// commands delete the key when its last element goes.
/// </summary>
internal sealed class ListValue : StoredValue
{
    private byte[][] _items = new byte[4][];
    private int _head;
    private int _count;

    // While a script's journal tracks this list (TrackChanges): the inverse of each change since.
    private UndoSteps<ListValue, Step>? _trail;

    public override ValueKind Kind => ValueKind.List;

    public override string Encoding => "quicklist";

    public int Count => _count;

    public byte[] this[int index]
    {
        get => _items[Slot(index)];
        set
        {
            var slot = Slot(index);
            _trail?.Record(new Step(Undo.Put, index, _items[slot]));
            _items[slot] = value;
        }
    }

    public void PushBack(byte[] item)
    {
        Grow();
        _items[(_head + _count) % _items.Length] = item;
        _count++;
        _trail?.Record(new Step(Undo.PopBack, 0, null));
    }

    public void PushFront(byte[] item)
    {
        Grow();
        _head = (_head - 1 + _items.Length) % _items.Length;
        _items[_head] = item;
        _count++;
        _trail?.Record(new Step(Undo.PopFront, 0, null));
    }

    public byte[] PopFront()
    {
        var item = _items[_head];
        _items[_head] = null!;
        _head = (_head + 1) % _items.Length;
        _count--;
        _trail?.Record(new Step(Undo.PushFront, 0, item));
        return item;
    }

    public byte[] PopBack()
    {
        var slot = Slot(_count - 1);
        var item = _items[slot];
        _items[slot] = null!;
        _count--;
        _trail?.Record(new Step(Undo.PushBack, 0, item));
        return item;
    }

    /// <summary>Inserts <paramref name="item"/> so that it ends up at <paramref name="index"/> (0..Count).</summary>
    public void Insert(int index, byte[] item)
    {
        _trail?.Collapse();
        PushBack(item);
        for (var i = _count - 1; i > index; i--)
        {
            this[i] = this[i - 1];
        }

        this[index] = item;
    }

    /// <summary>
    /// Keeps only the elements at indexes <paramref name="start"/>..<paramref name="end"/> (inclusive, in range), popping
    /// the others from both ends: O(elements removed), as Redis's quicklistDelRange. (It copied the kept elements into a
    /// new array of exactly their number, which the next push then doubled: two copies per LPUSH and LTRIM of a capped
    /// list.) A ring left mostly empty shrinks, as a fresh list of that size would be.
    /// </summary>
    public void Keep(int start, int end)
    {
        for (var i = 0; i < start; i++)
        {
            PopFront();
        }

        while (_count > end - start + 1)
        {
            PopBack();
        }

        if (_items.Length > 64 && _count * 4L < _items.Length)
        {
            Resize(Math.Max(4, _count * 2));
        }
    }

    /// <summary>Removes every element for which <paramref name="remove"/> is true, keeping the order of the rest.</summary>
    public void RemoveWhere(Func<int, byte[], bool> remove)
    {
        _trail?.Collapse();
        var kept = new List<byte[]>(_count);
        for (var i = 0; i < _count; i++)
        {
            var item = this[i];
            if (!remove(i, item))
            {
                kept.Add(item);
            }
        }

        _items = kept.Count >= 4 ? [.. kept] : [.. kept, .. new byte[4 - kept.Count][]];
        _head = 0;
        _count = kept.Count;
    }

    /// <summary>The index of the first element equal to <paramref name="element"/>, or -1.</summary>
    public int IndexOf(byte[] element)
    {
        for (var i = 0; i < _count; i++)
        {
            if (this[i].AsSpan().SequenceEqual(element))
            {
                return i;
            }
        }

        return -1;
    }

    public IEnumerable<byte[]> Items()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return this[i];
        }
    }

    public override StoredValue Clone()
    {
        var copy = new ListValue();
        foreach (var item in Items())
        {
            copy.PushBack(item);
        }

        return copy;
    }

    /// <summary>Every change records its inverse (an O(n) LINSERT or LREM makes the list as it was at once instead).</summary>
    public override UndoTrail? TrackChanges() =>
        _trail is null ? _trail = new UndoSteps<ListValue, Step>(this, UndoStep, static list => list.Count, static list => list._trail = null) : null;

    private static void UndoStep(ListValue list, Step step)
    {
        switch (step.Op)
        {
            case Undo.PopBack:
                list.PopBack();
                break;
            case Undo.PopFront:
                list.PopFront();
                break;
            case Undo.PushBack:
                list.PushBack(step.Item!);
                break;
            case Undo.PushFront:
                list.PushFront(step.Item!);
                break;
            default:
                list[step.Index] = step.Item!;
                break;
        }
    }

    private enum Undo : byte
    {
        PopBack,
        PopFront,
        PushBack,
        PushFront,
        Put,
    }

    /// <summary>The inverse of one change: what to do, and the element and index it needs.</summary>
    private readonly record struct Step(Undo Op, int Index, byte[]? Item);

    public override void WriteCanonical(CanonicalWriter writer)
    {
        writer.WriteInt32(_count);
        for (var i = 0; i < _count; i++)
        {
            writer.WriteString(this[i]);
        }
    }

    private int Slot(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        return (_head + index) % _items.Length;
    }

    private void Grow()
    {
        if (_count < _items.Length)
        {
            return;
        }

        Resize(_items.Length * 2);
    }

    private void Resize(int capacity)
    {
        var resized = new byte[capacity][];
        for (var i = 0; i < _count; i++)
        {
            resized[i] = _items[(_head + i) % _items.Length];
        }

        _items = resized;
        _head = 0;
    }
}
