using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Acl;

/// <summary>The outcome of an ACL check: allowed (<see cref="AclDenial.None"/>), or why not and at which argument.</summary>
public readonly record struct AclCheck(AclDenial Denial, int Position)
{
    public bool IsAllowed => Denial == AclDenial.None;

    /// <summary>What was refused, as ACL LOG names it: the refused key or channel, else the command's full name.</summary>
    public string Subject(AclCommandInfo command, IReadOnlyList<byte[]> request)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(request);
        return Denial is AclDenial.Key or AclDenial.Channel ? System.Text.Encoding.Latin1.GetString(request[Position]) : command.FullName;
    }
}
