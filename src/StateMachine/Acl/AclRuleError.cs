namespace RaftKV.StateMachine.Acl;

/// <summary>Why an ACL rule was refused; <see cref="AclRuleErrors.Describe"/> gives Redis 7.0's words for each.</summary>
public enum AclRuleError
{
    None,
    /// <summary>Not a rule, or a key/channel pattern with a space (Redis's EINVAL).</summary>
    Syntax,
    /// <summary>+/- of an unknown command or category (ENOENT).</summary>
    UnknownCommand,
    /// <summary>A key pattern after allkeys (EEXIST).</summary>
    KeyAfterAllKeys,
    /// <summary>A channel pattern after allchannels (EISDIR).</summary>
    ChannelAfterAllChannels,
    /// <summary>&lt;password or !hash of a password the user does not have (ENODEV).</summary>
    NoSuchPassword,
    /// <summary>#hash or !hash that is not 64 lowercase hex digits (EBADMSG).</summary>
    BadHash,
    /// <summary>+command|subcommand|arg (ECHILD).</summary>
    SubcommandFirstArg,
}
