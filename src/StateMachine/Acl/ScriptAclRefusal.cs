namespace RaftKV.StateMachine.Acl;

/// <summary>
/// A command a script called that its user's rules refused (Redis logs it in ACL LOG with context lua): why, what
/// (the command's full name, the refused key or channel), the script's user, and how many times in a row.
/// </summary>
public readonly record struct ScriptAclRefusal(AclDenial Denial, string Subject, string User, long Count = 1);
