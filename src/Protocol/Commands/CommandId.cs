namespace RaftKV.Protocol.Commands;

/// <summary>
/// Every command RaftKV knows. THIS IS A PERSISTED FORMAT: write commands are stored in the Raft log
/// and in snapshots by these numbers. Values are explicit and append-only: never renumber, never reuse
/// a retired value. <c>CommandIdStabilityTests</c> pins them.
/// </summary>
public enum CommandId : ushort
{
    None = 0,

    // Internal entries that no client sends (1-99).
    NoOp = 1,

    // Connection and server (100-199).
    Ping = 100,
    Echo = 101,
    Hello = 102,
    Auth = 103,
    Select = 104,
    Client = 105,
    Config = 106,
    Info = 107,
    Role = 108,
    Command = 109,
    Quit = 110,
    Reset = 111,
    Time = 112,
    Debug = 113,
    Cluster = 114,
    Sentinel = 115,
    Subscribe = 116,
    Unsubscribe = 117,
    Psubscribe = 118,
    Punsubscribe = 119,
    Publish = 120,
    Dbsize = 121,
    Flushdb = 122,
    Flushall = 123,
    Readonly = 124,
    Readwrite = 125,
    Lastsave = 126,

    // Strings (200-299).
    Get = 200,
    Set = 201,
    Setnx = 202,
    Getset = 203,
    Getdel = 204,
    Mget = 205,
    Mset = 206,
    Msetnx = 207,
    Append = 208,
    Strlen = 209,
    Incr = 210,
    Decr = 211,
    Incrby = 212,
    Decrby = 213,
    Incrbyfloat = 214,
    Getrange = 215,
    Setrange = 216,
    Substr = 217,

    // Generic keyspace (300-399).
    Del = 300,
    Unlink = 301,
    Exists = 302,
    Type = 303,
    Rename = 304,
    Renamenx = 305,
    Keys = 306,
    Scan = 307,
    Copy = 308,
    Touch = 311,
    Object = 312,
    Randomkey = 313,

    // RaftKV's own commands, in the RAFTKV.* namespace (1000-1099).
    RaftkvBackup = 1000,
    RaftkvSnapshot = 1001,

    // Lists (400-499).
    Lpush = 400,
    Rpush = 401,
    Lpushx = 402,
    Rpushx = 403,
    Lpop = 404,
    Rpop = 405,
    Lrange = 406,
    Llen = 407,
    Lindex = 408,
    Lset = 409,
    Lrem = 410,
    Ltrim = 411,
    Linsert = 412,

    // Sets (500-599).
    Sadd = 500,
    Srem = 501,
    Smembers = 502,
    Sismember = 503,
    Smismember = 504,
    Scard = 505,
    Smove = 508,
}
