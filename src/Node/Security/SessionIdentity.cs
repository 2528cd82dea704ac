using RaftKV.StateMachine.Acl;

namespace RaftKV.Node.Security;

/// <summary>
/// Who a connection runs as, as Redis's client user and authenticated flag: a new connection (and RESET) runs as the
/// default user, authenticated when that user is on and needs no password; AUTH and HELLO AUTH sign in another. The
/// user's generation tells a user deleted and made again from the one signed in.
/// </summary>
internal sealed class SessionIdentity
{
    public string UserName { get; private set; } = AclTable.DefaultUserName;

    public long Generation { get; private set; }

    public bool IsAuthenticated { get; private set; }

    /// <summary>Runs as the default user, authenticated when it is on and has nopass (Redis's clientSetDefaultAuth).</summary>
    public void SetDefault(AclUsers users)
    {
        ArgumentNullException.ThrowIfNull(users);
        UserName = AclTable.DefaultUserName;
        Generation = users.Default.Generation;
        IsAuthenticated = !users.AuthRequired;
    }

    public void SignIn(AclUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        UserName = user.Name;
        Generation = user.Generation;
        IsAuthenticated = true;
    }
}
