using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keys changed by the commands applied since the owner last took them, recorded only while <see cref="Enabled"/>
/// (the node turns it on while a client uses CLIENT TRACKING, to send invalidations, and for gRPC Watch). Fed by
/// <see cref="KeyTable"/> at the points where it stamps a revision, so it misses no change WATCH would see (it may name
/// a key a command found and then left as it was, a spare invalidation); a FLUSHALL or FLUSHDB sets <see cref="Cleared"/>
/// instead of naming keys. With <see cref="CapturesBefore"/>, each key is recorded with the value it held before that
/// change (gRPC Watch's prev_kv: values never change in place, so the reference is the value as it was). An output of
/// the applies, never state: it changes no reply, snapshot or digest, so recording or not keeps the store deterministic.
/// </summary>
internal sealed class KeyChanges
{
    private List<byte[]> _keys = [];
    // The list Take returned last, cleared and filled again after the next Take: no list per command applied.
    private List<byte[]> _taken = [];
    private List<(StoredValue? Value, bool Expired)> _before = [];
    private List<(StoredValue? Value, bool Expired)> _takenBefore = [];

    /// <summary>Whether changes are recorded; off, a change costs one test of a field.</summary>
    public bool Enabled { get; set; }

    /// <summary>Whether each key is recorded with the value it held before the change (<see cref="Before"/>).</summary>
    public bool CapturesBefore { get; set; }

    /// <summary>True once the whole keyspace was cleared since the last <see cref="Take"/>.</summary>
    public bool Cleared { get; private set; }

    /// <param name="key">The key changed.</param>
    /// <param name="before">Its value before this change (null: none); the value it had before the command is the one
    /// recorded at its first change in the command (a repeat of the key recorded last is not recorded again).</param>
    /// <param name="expired">Whether that value had expired (logically gone, not yet deleted).</param>
    public void Record(ReadOnlySpan<byte> key, StoredValue? before, bool expired = false)
    {
        // A write records its key at each step (found for a write, its value replaced, its expiry set): a repeat of the
        // key recorded last adds nothing, as the first record holds the value before the command.
        if (Enabled && (_keys.Count == 0 || !key.SequenceEqual(_keys[^1])))
        {
            _keys.Add(key.ToArray());
            if (CapturesBefore)
                _before.Add((before, expired));
        }
    }

    /// <summary>The whole keyspace was cleared: no key recorded so far had a value before it, as far as a watcher can tell.</summary>
    public void RecordClear()
    {
        if (Enabled)
        {
            Cleared = true;
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_before).Clear();
        }
    }

    /// <summary>
    /// The keys recorded (in order, possibly repeated) and whether the keyspace was cleared; starts afresh. The list is
    /// valid until the next call (it is reused then); the keys are copies the caller owns.
    /// </summary>
    public (IReadOnlyList<byte[]> Keys, bool Cleared) Take()
    {
        if (_keys.Count == 0 && !Cleared)
        {
            _takenBefore.Clear();
            return ([], false);
        }

        var taken = (_keys, Cleared);
        (_keys, _taken) = (_taken, _keys);
        (_before, _takenBefore) = (_takenBefore, _before);
        _keys.Clear();
        _before.Clear();
        Cleared = false;
        return taken;
    }

    /// <summary>
    /// The value the key at <paramref name="index"/> of the list <see cref="Take"/> returned last held before its change
    /// (null: none, or not captured), and whether it had expired.
    /// </summary>
    public (StoredValue? Value, bool Expired) Before(int index) =>
        index < _takenBefore.Count && _takenBefore.Count == _taken.Count ? _takenBefore[index] : (null, false);

    /// <summary>Lets go of the values <see cref="Before"/> gave (a replaced value is not kept alive until the next apply).</summary>
    public void ReleaseBefore() => _takenBefore.Clear();
}
