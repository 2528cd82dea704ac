namespace RaftKV.StateMachine.Configuration;

/// <summary>
/// One runtime parameter as Redis 7.0 defines it (config.c): its name, the old name it also answers to, how its
/// value is checked, its default as Redis reports it, and where it lives in RaftKV. <see cref="Hidden"/> parameters
/// are found by their exact name only, never by a CONFIG GET pattern, as in Redis.
/// </summary>
public sealed record ConfigParameter(
    string Name,
    string? Alias,
    ConfigKind Kind,
    string Default,
    ConfigScope Scope = ConfigScope.Replicated,
    long Min = 0,
    long Max = long.MaxValue,
    IReadOnlyList<string>? Choices = null,
    bool Hidden = false);
