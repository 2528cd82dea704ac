using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The pre-images of the keys changed while a script runs, so that a script stopped by its budget (instructions or
/// memory) leaves no partial effects: <see cref="KeyTable"/> tells it of every change at the same points where it tells
/// a snapshot being written (<see cref="FrozenKeyspace.BeforeChange"/>), and <see cref="KeyTable.Rollback"/> puts every
/// recorded key back as it was. Only the first change of a key is recorded (later ones change what it already saved).
/// Memory: one deep copy of each key's value first changed by the script.
/// </summary>
internal sealed class UndoJournal
{
    private readonly Dictionary<byte[], PreImage> _preImages = new(ByteStringComparer.Instance);

    /// <summary>Keys recorded so far.</summary>
    public int Count => _preImages.Count;

    /// <summary>Records <paramref name="key"/>'s state before its first change (<paramref name="existing"/> null: it was absent).</summary>
    public void BeforeChange(byte[] key, KeyEntry? existing)
    {
        if (_preImages.ContainsKey(key))
        {
            return;
        }

        _preImages[(byte[])key.Clone()] = existing is null
            ? new PreImage(null, KeyEntry.NoExpiry)
            : new PreImage(existing.Value.Clone(), existing.ExpireAtMs);
    }

    /// <summary>The recorded keys in ordinal order, with their state before the first change.</summary>
    public IEnumerable<KeyValuePair<byte[], PreImage>> InOrder() =>
        _preImages.OrderBy(static pair => pair.Key, ByteStringComparer.Instance);

    /// <summary>A key's state before the script changed it: <see cref="Value"/> null when the key did not exist.</summary>
    internal readonly record struct PreImage(StoredValue? Value, long ExpireAtMs);
}
