using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>Type checks shared by the collection commands: a missing key is fine, another type is WRONGTYPE.</summary>
internal static class TypedEntry
{
    public static readonly Reply WrongType = Reply.Error(ErrorTexts.WrongType);

    /// <summary>
    /// False when <paramref name="entry"/> holds another type than <typeparamref name="T"/>; otherwise true with
    /// the value, or null for a missing key.
    /// </summary>
    public static bool TryAs<T>(KeyEntry? entry, out T? value)
        where T : StoredValue
    {
        value = null;
        if (entry is null)
        {
            return true;
        }

        value = entry.Value as T;
        return value is not null;
    }

    /// <summary>
    /// Deletes <paramref name="key"/> when the collection <paramref name="count"/> says it is empty (Redis never keeps empty
    /// collections), with Redis's "del" event: call it after the command has reported its own.
    /// </summary>
    public static void DeleteIfEmpty(KeyTable keys, byte[] key, int count)
    {
        if (count == 0 && keys.Remove(key))
        {
            keys.Notify(KeyspaceEvents.Generic, "del", key);
        }
    }
}
