namespace RaftKV.StateMachine.Configuration;

/// <summary>How a parameter's value is parsed, validated and reported (Redis 7.0's config types).</summary>
public enum ConfigKind
{
    /// <summary>yes or no.</summary>
    Bool,

    /// <summary>A decimal integer within bounds.</summary>
    Integer,

    /// <summary>A byte count, with an optional unit (k, kb, m, mb, g, gb); reported in bytes.</summary>
    Memory,

    /// <summary>A byte count or a percentage ("10%"), reported as given.</summary>
    MemoryOrPercent,

    /// <summary>One of <see cref="ConfigParameter.Choices"/>, case-insensitive, reported in lower case.</summary>
    Enum,

    /// <summary>Any number of <see cref="ConfigParameter.Choices"/>, separated by spaces.</summary>
    EnumFlags,

    /// <summary>Any text.</summary>
    Text,

    /// <summary>save: pairs of seconds (at least 1) and changes (at least 0), or "".</summary>
    Save,

    /// <summary>notify-keyspace-events: Redis's class letters, reported in Redis's normal form.</summary>
    KeyspaceEvents,
}
