namespace RaftKV.StateMachine.Acl;

/// <summary>The outcome of an ACL check: allowed (<see cref="AclDenial.None"/>), or why not and at which argument.</summary>
public readonly record struct AclCheck(AclDenial Denial, int Position)
{
    public bool IsAllowed => Denial == AclDenial.None;
}
