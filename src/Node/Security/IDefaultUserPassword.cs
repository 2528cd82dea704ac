namespace RaftKV.Node.Security;

/// <summary>
/// Whether the default user has a password (Redis: its <c>nopass</c> flag is off), which turns protected mode off.
/// The ACL store implements it once users exist; until then <see cref="NoDefaultUserPassword"/> answers.
/// </summary>
internal interface IDefaultUserPassword
{
    bool DefaultUserHasPassword { get; }
}
