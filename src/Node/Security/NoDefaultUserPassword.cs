namespace RaftKV.Node.Security;

/// <summary>The default user without a password: what every node has until users and passwords are configured.</summary>
internal sealed class NoDefaultUserPassword : IDefaultUserPassword
{
    public bool DefaultUserHasPassword => false;
}
