namespace RaftKV.Node.Security;

/// <summary>
/// Whether the default user has a password (Redis: its <c>nopass</c> flag is off), which turns protected mode off.
/// <see cref="AccessControl"/> answers it from the replicated users.
/// </summary>
internal interface IDefaultUserPassword
{
    bool DefaultUserHasPassword { get; }
}
