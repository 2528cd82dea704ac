namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// The keyspace's two recorders of pre-images: a script's undo journal (<see cref="UndoJournal"/>: a script stopped by
/// its budget leaves no partial effects) and a snapshot's copy-on-write view (<see cref="FrozenKeyspace"/>). Every
/// change of an entry tells both first (<see cref="FindForWrite"/>, <see cref="Put"/>, <see cref="SetExpiry"/>,
/// <see cref="Remove"/>, <see cref="Clear"/>).
/// </summary>
internal sealed partial class KeyTable
{
    /// <summary>
    /// Starts recording the pre-image of every key changed from now on (<see cref="UndoJournal"/>), until
    /// <see cref="EndJournal"/> or <see cref="Rollback"/>. One at a time (scripts do not nest).
    /// </summary>
    public void BeginJournal()
    {
        if (_undo is not null)
        {
            throw new InvalidOperationException("An undo journal is already open.");
        }

        _undo = new UndoJournal();
    }

    /// <summary>Stops recording and keeps every change made since <see cref="BeginJournal"/>.</summary>
    public void EndJournal()
    {
        if (_undo is { } undo)
        {
            JournalCopies += undo.Copies;
            undo.Close();
        }

        _undo = null;
    }

    /// <summary>
    /// How many collections script journals copied whole so far (<see cref="UndoJournal.Copies"/>): a large list, hash,
    /// set or sorted set records undo steps instead, so a script's write to one costs O(1), not O(size).
    /// </summary>
    public long JournalCopies { get; private set; }

    /// <summary>
    /// Stops recording and puts every key changed since <see cref="BeginJournal"/> back as it was then (through
    /// <see cref="Put"/> and <see cref="Remove"/>, so a snapshot being written still sees each change first).
    /// </summary>
    public void Rollback()
    {
        if (_undo is not { } undo)
        {
            return;
        }

        _undo = null;
        JournalCopies += undo.Copies;
        foreach (var (key, value, expireAtMs) in undo.TakeBefore())
        {
            if (value is null)
            {
                Remove(key);
            }
            else
            {
                Put(key, value, expireAtMs);
            }
        }
    }

    /// <summary>
    /// Starts copy-on-write for a snapshot of the keyspace as it is now; <see cref="Thaw"/> ends it. One at a time.
    /// </summary>
    public FrozenKeyspace Freeze()
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("A snapshot of this keyspace is already being written.");
        }

        _frozen = new FrozenKeyspace(_order);
        return _frozen;
    }

    /// <summary>Ends copy-on-write for <paramref name="frozen"/> (no effect if it has already ended).</summary>
    public void Thaw(FrozenKeyspace frozen)
    {
        if (ReferenceEquals(_frozen, frozen))
        {
            _frozen = null;
        }
    }
}
