namespace RaftKV.Protocol.Commands;

/// <summary>
/// What a command does to its keys, for ACL key permissions: Read needs a <c>%R~</c> (or <c>~</c>) pattern, Write a
/// <c>%W~</c> one (Redis's key-spec ACCESS, and INSERT/DELETE/UPDATE).
/// </summary>
[Flags]
public enum AclKeyAccess
{
    None = 0,
    Read = 1 << 0,
    Write = 1 << 1,
}
