namespace RaftKV.Protocol.Commands;

/// <summary>A key spec's flags (Redis's CMD_KEY_*): how a command uses the keys the spec finds.</summary>
[Flags]
public enum KeySpecFlags
{
    None = 0,
    RO = 1 << 0,
    RW = 1 << 1,
    OW = 1 << 2,
    RM = 1 << 3,
    Access = 1 << 4,
    Update = 1 << 5,
    Insert = 1 << 6,
    Delete = 1 << 7,
    NotKey = 1 << 8,
    Incomplete = 1 << 9,
    VariableFlags = 1 << 10,
}
