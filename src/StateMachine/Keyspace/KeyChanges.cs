namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keys changed by the commands applied since the owner last took them, recorded only while <see cref="Enabled"/>
/// (the node turns it on while a client uses CLIENT TRACKING, to send invalidations). Fed by <see cref="KeyTable"/> at the
/// points where it stamps a revision, so it misses no change WATCH would see (it may name a key a command found and then
/// left as it was, a spare invalidation); a FLUSHALL or FLUSHDB sets <see cref="Cleared"/> instead of naming keys. An output
/// of the applies, never state: it changes no reply, snapshot or digest, so recording or not keeps the store deterministic.
/// </summary>
internal sealed class KeyChanges
{
    private List<byte[]> _keys = [];
    // The list Take returned last, cleared and filled again after the next Take: no list per command applied.
    private List<byte[]> _taken = [];

    /// <summary>Whether changes are recorded; off, a change costs one test of a field.</summary>
    public bool Enabled { get; set; }

    /// <summary>True once the whole keyspace was cleared since the last <see cref="Take"/>.</summary>
    public bool Cleared { get; private set; }

    public void Record(ReadOnlySpan<byte> key)
    {
        if (Enabled)
        {
            _keys.Add(key.ToArray());
        }
    }

    public void RecordClear()
    {
        if (Enabled)
        {
            Cleared = true;
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
            return ([], false);
        }

        var taken = (_keys, Cleared);
        (_keys, _taken) = (_taken, _keys);
        _keys.Clear();
        Cleared = false;
        return taken;
    }
}
