using System.Collections.Frozen;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// One published state of the user table: immutable, so sessions read it without the state machine's lock. Users
/// in ordinal name order (byte order of the names, as Redis's radix tree lists them).
/// </summary>
public sealed class AclUsers
{
    private readonly FrozenDictionary<string, AclUser> _byName;

    internal AclUsers(IEnumerable<AclUser> users, bool bootstrapped, long lastGeneration)
    {
        Ordered = users.OrderBy(static u => u.Name, StringComparer.Ordinal).ToArray();
        _byName = Ordered.ToFrozenDictionary(static u => u.Name, StringComparer.Ordinal);
        Bootstrapped = bootstrapped;
        LastGeneration = lastGeneration;
        Default = _byName[AclTable.DefaultUserName];
    }

    public IReadOnlyList<AclUser> Ordered { get; }

    public AclUser Default { get; }

    /// <summary>True once the configured first users were applied (or a user table came with a snapshot).</summary>
    public bool Bootstrapped { get; }

    /// <summary>The generation the latest created user got.</summary>
    public long LastGeneration { get; }

    /// <summary>True when a new connection must AUTH first: the default user needs a password or is off (Redis's authRequired).</summary>
    public bool AuthRequired => !Default.NoPass || !Default.Enabled;

    public AclUser? Find(string name) => _byName.TryGetValue(name, out var user) ? user : null;
}
