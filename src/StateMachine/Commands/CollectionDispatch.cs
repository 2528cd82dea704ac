using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Commands;

/// <summary>Routes the collection commands (lists, sets, sorted sets, hashes) to their implementations.</summary>
internal static class CollectionDispatch
{
    public static Reply Dispatch(KeyTable keys, CommandId command, byte[][] args, long now, ulong seed) => command switch
    {
        CommandId.Lpush => ListCommands.Push(keys, args, now, left: true, onlyIfExists: false),
        CommandId.Rpush => ListCommands.Push(keys, args, now, left: false, onlyIfExists: false),
        CommandId.Lpushx => ListCommands.Push(keys, args, now, left: true, onlyIfExists: true),
        CommandId.Rpushx => ListCommands.Push(keys, args, now, left: false, onlyIfExists: true),
        CommandId.Lpop => ListCommands.Pop(keys, args, now, left: true),
        CommandId.Rpop => ListCommands.Pop(keys, args, now, left: false),
        CommandId.Lrange => ListCommands.Range(keys, args, now),
        CommandId.Llen => ListCommands.Length(keys, args, now),
        CommandId.Lindex => ListCommands.Index(keys, args, now),
        CommandId.Lset => ListCommands.Set(keys, args, now),
        CommandId.Lrem => ListCommands.Remove(keys, args, now),
        CommandId.Ltrim => ListCommands.Trim(keys, args, now),
        CommandId.Linsert => ListCommands.Insert(keys, args, now),

        CommandId.Sadd => SetCommands.Add(keys, args, now),
        CommandId.Srem => SetCommands.Remove(keys, args, now),
        CommandId.Smembers => SetCommands.Members(keys, args, now),
        CommandId.Sismember => SetCommands.IsMember(keys, args, now),
        CommandId.Smismember => SetCommands.IsMemberMany(keys, args, now),
        CommandId.Scard => SetCommands.Cardinality(keys, args, now),
        CommandId.Smove => SetCommands.Move(keys, args, now),
        _ => Reply.Error($"ERR unknown command id {(ushort)command}"),
    };
}
