namespace RaftKV.Protocol.Commands;

/// <summary>One key spec of a Redis command: its flags, where its search begins, how it finds the keys, and Redis's note on it if any.</summary>
public sealed record KeySpec(KeySpecFlags Flags, BeginSearch Begin, FindKeys Find, string? Notes = null);
