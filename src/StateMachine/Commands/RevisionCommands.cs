using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>RAFTKV.GETREV: a key's value with its modification revision, so a client can read a value and know which change it saw.</summary>
internal static class RevisionCommands
{
    /// <summary>
    /// <c>[value, revision]</c>: the string value (nil for a missing or expired key) and the key's modification revision
    /// (<see cref="KeyTable.RevisionOf"/>: the log index of the entry that last changed it times 1024 plus its position in
    /// a batched entry; for a missing key, that of its deletion while remembered, else a revision no later than it).
    /// WRONGTYPE for a key holding another type.
    /// </summary>
    public static Reply GetRev(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindLive(args[0], now);
        if (entry is not null && entry.Value is not StringValue)
        {
            return TypedEntry.WrongType;
        }

        var value = entry?.Value is StringValue s ? Reply.Bulk(s.Bytes) : Reply.Null;
        return Reply.Array(value, Reply.Integer(keys.RevisionOf(args[0])));
    }
}
