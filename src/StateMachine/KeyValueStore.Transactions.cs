using RaftKV.StateMachine.Transactions;

namespace RaftKV.StateMachine;

/// <summary>Modification revisions and the WATCH check of a Transaction entry.</summary>
public sealed partial class KeyValueStore
{
    /// <summary>Revisions per log index: a Batch entry holds at most this many commands (the Node's WriteBatcher.MaxCommands).</summary>
    public const int RevisionsPerEntry = 1024;

    // True between BeginTransaction and EndTransaction: every command of the entry shares its revision.
    private bool _inTransaction;

    /// <summary>The revision of the last command applied (0 before any, or when its index was unknown).</summary>
    public long Revision => _keys.Revision;

    /// <summary>
    /// The revision of the command at <paramref name="position"/> of entry <paramref name="entryIndex"/>: the index times
    /// <see cref="RevisionsPerEntry"/> plus the position, which strictly increases along the log and is the same on
    /// every replica however it got its state (replayed or from a snapshot). An unknown index (0: a store driven without
    /// a log, as in tests) gives revision 0 to every change.
    /// </summary>
    private static long NextRevision(long entryIndex, int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return entryIndex > 0 ? checked(entryIndex * RevisionsPerEntry + Math.Min(position, RevisionsPerEntry - 1)) : 0;
    }

    /// <summary>
    /// WATCH on the leader (after a read barrier, between applies): <paramref name="key"/>'s revision and whether it is
    /// live at <paramref name="nowMs"/> (never taken as earlier than <see cref="Now"/>). Read-only.
    /// </summary>
    public WatchedKey Watch(byte[] key, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entry = _keys.Find(key);
        var live = entry is not null && !entry.IsExpiredAt(Math.Max(nowMs, Now));
        return new WatchedKey(key, _keys.RevisionOf(key), live);
    }

    /// <summary>
    /// Starts applying a Transaction entry at <paramref name="timestampMs"/>: checks every condition, and when they all
    /// hold pins the entry's revision for the commands applied until <see cref="EndTransaction"/>. Returns false, changing
    /// nothing but the clock, when a watched key was changed since the WATCH (its revision differs), or was live then and
    /// is missing or expired now (Redis 7.0 fails EXEC on a watched key that expired meanwhile).
    /// </summary>
    public bool BeginTransaction(IReadOnlyList<WatchedKey> watches, long timestampMs, long entryIndex, int position)
    {
        ArgumentNullException.ThrowIfNull(watches);
        Now = Math.Max(Now, timestampMs);
        foreach (var watch in watches)
        {
            var entry = _keys.Find(watch.Key);
            if (_keys.RevisionOf(watch.Key) != watch.Revision || (watch.WasLive && (entry is null || entry.IsExpiredAt(Now))))
            {
                return false;
            }
        }

        _keys.Revision = NextRevision(entryIndex, position);
        _inTransaction = true;
        return true;
    }

    /// <summary>Ends the transaction <see cref="BeginTransaction"/> started.</summary>
    public void EndTransaction() => _inTransaction = false;

    /// <summary>
    /// Applies a <see cref="Protocol.Commands.CommandId.Transaction"/> entry: the null array, changing nothing, when a
    /// condition fails (<see cref="BeginTransaction"/>); otherwise each queued command in order, all stamped with the
    /// entry's revision, and the array of their replies (a command's error is its item; the others still apply).
    /// </summary>
    /// <param name="applyOne">
    /// Applies one queued command (the node's applier passes its own, which delivers PUBLISH and wakes blocked clients);
    /// null applies it to this store.
    /// </param>
    public Protocol.Replies.Reply ApplyTransaction(Log.LogCommand entry, long entryIndex, int position, Func<Log.LogCommand, Protocol.Replies.Reply>? applyOne = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!TransactionEntry.TryDecode(entry, out var transaction, out var error))
        {
            return Protocol.Replies.Reply.Error(error!);
        }

        if (!BeginTransaction(transaction!.Watches, entry.TimestampMs, entryIndex, position))
        {
            return Protocol.Replies.Reply.NullArray;
        }

        try
        {
            var replies = new Protocol.Replies.Reply[transaction.Commands.Count];
            for (var i = 0; i < replies.Length; i++)
            {
                var command = transaction.Commands[i];
                var reply = applyOne is null ? Apply(command, entryIndex, position) : applyOne(command);

                // A blocking command runs as its non-blocking form inside MULTI (it never blocks): a move from an empty
                // list answers as LMOVE and RPOPLPUSH do, the null bulk string, where the blocking form's timeout
                // answers the null array (BLPOP, BZPOPMIN, ... answer the null array either way).
                if (reply is Protocol.Replies.NullReply { Kind: Protocol.Replies.NullKind.Array }
                    && command.Command is Protocol.Commands.CommandId.Blmove or Protocol.Commands.CommandId.Brpoplpush)
                {
                    reply = Protocol.Replies.Reply.Null;
                }

                replies[i] = reply;
            }

            return new Protocol.Replies.ArrayReply(replies);
        }
        finally
        {
            EndTransaction();
        }
    }
}
