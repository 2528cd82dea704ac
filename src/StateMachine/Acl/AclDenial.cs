namespace RaftKV.StateMachine.Acl;

/// <summary>Why ACL refused a command, in Redis's order of relevance (ACL_DENIED_CMD &lt; KEY &lt; ... &lt; CHANNEL).</summary>
public enum AclDenial
{
    None = 0,
    Command = 1,
    Key = 2,
    Channel = 4,
}
