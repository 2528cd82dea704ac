namespace RaftKV.StateMachine.Acl;

/// <summary>Redis 7.0's texts for refused ACL rules (ACLSetUserStringError).</summary>
public static class AclRuleErrors
{
    public static string Describe(AclRuleError error) => error switch
    {
        AclRuleError.UnknownCommand => "Unknown command or category name in ACL",
        AclRuleError.Syntax => "Syntax error",
        AclRuleError.KeyAfterAllKeys => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        AclRuleError.ChannelAfterAllChannels => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
        AclRuleError.NoSuchPassword => "The password you are trying to remove from the user does not exist",
        AclRuleError.BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        AclRuleError.SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        _ => "Wrong format",
    };
}
