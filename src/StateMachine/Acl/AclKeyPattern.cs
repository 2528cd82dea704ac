using System.Text;
using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Acl;

/// <summary>A key pattern of a selector and what it allows: <c>~p</c> read and write, <c>%R~p</c> read, <c>%W~p</c> write.</summary>
internal sealed class AclKeyPattern(byte[] pattern, AclKeyAccess access)
{
    public byte[] Pattern { get; } = pattern;

    public AclKeyAccess Access { get; set; } = access;

    public string Describe() => Access switch
    {
        AclKeyAccess.Read => "%R~",
        AclKeyAccess.Write => "%W~",
        _ => "~",
    } + Encoding.Latin1.GetString(Pattern);
}
