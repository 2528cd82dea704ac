namespace RaftKV.StateMachine.Configuration;

/// <summary>Where a parameter's value lives and whether CONFIG SET may change it.</summary>
public enum ConfigScope
{
    /// <summary>Replicated: CONFIG SET becomes a log entry applied on every node and kept in snapshots.</summary>
    Replicated,

    /// <summary>Fixed, as Redis's immutable parameters: reported, never set ("can't set immutable config").</summary>
    Immutable,

    /// <summary>This node's own setting from its configuration files (port, bind, dir): reported by the node, not set at runtime.</summary>
    Node,
}
