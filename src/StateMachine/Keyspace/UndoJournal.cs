using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The pre-images of the keys changed while a script runs, so that a script stopped by its budget (instructions or
/// memory) leaves no partial effects: <see cref="KeyTable"/> tells it of every change at the same points where it tells
/// a snapshot being written (<see cref="FrozenKeyspace.BeforeChange"/>), and <see cref="KeyTable.Rollback"/> puts every
/// recorded key back as it was. Only the first change of a key is recorded (later ones change what it already saved).
/// A large collection or a stream is not copied: it records the inverse of its changes from then on
/// (<see cref="UndoTrail"/>), and is built as it was only on a rollback. Other values are copied (a string is its own
/// copy, a small encoding copies in O(1) or little more).
/// </summary>
internal sealed class UndoJournal
{
    private readonly Dictionary<byte[], PreImage> _preImages = new(ByteStringComparer.Instance);

    /// <summary>Keys recorded so far.</summary>
    public int Count => _preImages.Count;

    /// <summary>How many collections (values other than strings) were copied whole since this journal opened.</summary>
    public int Copies { get; private set; }

    /// <summary>Records <paramref name="key"/>'s state before its first change (<paramref name="existing"/> null: it was absent).</summary>
    public void BeforeChange(byte[] key, KeyEntry? existing)
    {
        if (_preImages.ContainsKey(key))
        {
            return;
        }

        PreImage before;
        if (existing is null)
        {
            before = new PreImage(null, null, KeyEntry.NoExpiry);
        }
        else if (existing.Value.TrackChanges() is { } trail)
        {
            before = new PreImage(null, trail, existing.ExpireAtMs);
        }
        else
        {
            Copies += existing.Value is StringValue ? 0 : 1;
            before = new PreImage(existing.Value.Clone(), null, existing.ExpireAtMs);
        }

        _preImages[(byte[])key.Clone()] = before;
    }

    /// <summary>
    /// The recorded keys in ordinal order, each with its value before the first change (null: the key was absent) and
    /// its expiry then; and stops every collection's recording. Rolling back calls this once.
    /// </summary>
    public List<(byte[] Key, StoredValue? Value, long ExpireAtMs)> TakeBefore()
    {
        var keys = _preImages.Keys.ToArray();
        Array.Sort(keys, ByteStringComparer.Instance);
        var before = new List<(byte[], StoredValue?, long)>(keys.Length);
        foreach (var key in keys)
        {
            var image = _preImages[key];
            before.Add((key, image.Trail?.Restore() ?? image.Value, image.ExpireAtMs));
        }

        Close();
        return before;
    }

    /// <summary>Stops every collection's recording (the script's changes stay).</summary>
    public void Close()
    {
        foreach (var image in _preImages.Values)
        {
            image.Trail?.Close();
        }
    }

    /// <summary>
    /// A key's state before the script changed it: a copy (<see cref="Value"/>), or the trail its value records
    /// (<see cref="Trail"/>); both null when the key did not exist.
    /// </summary>
    private readonly record struct PreImage(StoredValue? Value, UndoTrail? Trail, long ExpireAtMs);
}
