using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// The commands the state machine executes. Kept here, not taken from the Protocol command table, so
/// that applying a log entry never depends on how the front end is configured.
/// </summary>
internal static class CommandCatalog
{
    private static readonly Dictionary<CommandId, CommandInfo> Commands = new()
    {
        [CommandId.NoOp] = new("noop", -1, true),

        [CommandId.Get] = new("get", 2, false),
        [CommandId.Set] = new("set", -3, true),
        [CommandId.Setnx] = new("setnx", 3, true),
        [CommandId.Getset] = new("getset", 3, true),
        [CommandId.Getdel] = new("getdel", 2, true),
        [CommandId.Mget] = new("mget", -2, false),
        [CommandId.Mset] = new("mset", -3, true),
        [CommandId.Msetnx] = new("msetnx", -3, true),
        [CommandId.Append] = new("append", 3, true),
        [CommandId.Strlen] = new("strlen", 2, false),
        [CommandId.Incr] = new("incr", 2, true),
        [CommandId.Decr] = new("decr", 2, true),
        [CommandId.Incrby] = new("incrby", 3, true),
        [CommandId.Decrby] = new("decrby", 3, true),
        [CommandId.Incrbyfloat] = new("incrbyfloat", 3, true),
        [CommandId.Getrange] = new("getrange", 4, false),
        [CommandId.Substr] = new("substr", 4, false),
        [CommandId.Setrange] = new("setrange", 4, true),

        [CommandId.Del] = new("del", -2, true),
        [CommandId.Unlink] = new("unlink", -2, true),
        [CommandId.Exists] = new("exists", -2, false),
        [CommandId.Type] = new("type", 2, false),
        [CommandId.Rename] = new("rename", 3, true),
        [CommandId.Renamenx] = new("renamenx", 3, true),
        [CommandId.Keys] = new("keys", 2, false),
        [CommandId.Scan] = new("scan", -2, false),
        [CommandId.Dbsize] = new("dbsize", 1, false),
        [CommandId.Flushdb] = new("flushdb", -1, true),
        [CommandId.Flushall] = new("flushall", -1, true),
        [CommandId.Copy] = new("copy", -3, true),
        [CommandId.Touch] = new("touch", -2, false),
        [CommandId.Object] = new("object", -2, false),
        [CommandId.Randomkey] = new("randomkey", 1, false),

        [CommandId.Lpush] = new("lpush", -3, true),
        [CommandId.Rpush] = new("rpush", -3, true),
        [CommandId.Lpushx] = new("lpushx", -3, true),
        [CommandId.Rpushx] = new("rpushx", -3, true),
        [CommandId.Lpop] = new("lpop", -2, true),
        [CommandId.Rpop] = new("rpop", -2, true),
        [CommandId.Lrange] = new("lrange", 4, false),
        [CommandId.Llen] = new("llen", 2, false),
        [CommandId.Lindex] = new("lindex", 3, false),
        [CommandId.Lset] = new("lset", 4, true),
        [CommandId.Lrem] = new("lrem", 4, true),
        [CommandId.Ltrim] = new("ltrim", 4, true),
        [CommandId.Linsert] = new("linsert", 5, true),

        [CommandId.Sadd] = new("sadd", -3, true),
        [CommandId.Srem] = new("srem", -3, true),
        [CommandId.Smembers] = new("smembers", 2, false),
        [CommandId.Sismember] = new("sismember", 3, false),
        [CommandId.Smismember] = new("smismember", -3, false),
        [CommandId.Scard] = new("scard", 2, false),
        [CommandId.Smove] = new("smove", 4, true),
    };

    public static CommandInfo? Find(CommandId command) => Commands.GetValueOrDefault(command);

    public static IEnumerable<CommandId> All => Commands.Keys;
}
