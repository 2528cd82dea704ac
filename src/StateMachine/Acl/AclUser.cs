using System.Text;
using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// One ACL user, as Redis 7.0's: on/off, nopass, the sanitize-payload flags (kept and described, not acted on), password
/// hashes in the order added, the root selector and any <c>(...)</c> selectors. Changed only on a copy (<see cref="Clone"/>)
/// while a rule set is applied; a published user is never changed, so sessions may read it without a lock.
/// </summary>
public sealed class AclUser
{
    private readonly List<string> _passwords = [];
    private readonly List<AclSelector> _selectors = [new AclSelector()];

    internal AclUser(string name, long generation)
    {
        Name = name;
        Generation = generation;
    }

    /// <summary>The user's name (Latin-1: one char per byte of the name the client sent).</summary>
    public string Name { get; }

    /// <summary>Which creation of this name this is: a user deleted and made again is another generation.</summary>
    public long Generation { get; }

    public bool Enabled { get; private set; }

    public bool NoPass { get; private set; }

    /// <summary>null until sanitize-payload or skip-sanitize-payload is given (Redis's user starts with neither).</summary>
    public bool? SkipSanitizePayload { get; private set; }

    public IReadOnlyList<string> PasswordHashes => _passwords;

    internal AclSelector Root => _selectors[0];

    internal IReadOnlyList<AclSelector> Selectors => _selectors;

    /// <summary>True when the root selector allows every command, key and channel (no check needed).</summary>
    public bool IsUnrestricted => Root.AllCommands && Root.AllKeys && Root.AllChannels;

    internal AclUser Clone(string? name = null, long? generation = null)
    {
        var copy = new AclUser(name ?? Name, generation ?? Generation)
        {
            Enabled = Enabled,
            NoPass = NoPass,
            SkipSanitizePayload = SkipSanitizePayload,
        };
        copy._passwords.AddRange(_passwords);
        copy._selectors.Clear();
        copy._selectors.AddRange(_selectors.Select(static s => s.Clone()));
        return copy;
    }

    /// <summary>Applies one rule (Redis's ACLSetUser); the caller works on a copy and drops it on error.</summary>
    internal AclRuleError Apply(string op)
    {
        if (op.Length == 0)
            return AclRuleError.None;
        switch (op.ToLowerInvariant())
        {
            case "on":
                Enabled = true;
                return AclRuleError.None;
            case "off":
                Enabled = false;
                return AclRuleError.None;
            case "skip-sanitize-payload":
                SkipSanitizePayload = true;
                return AclRuleError.None;
            case "sanitize-payload":
                SkipSanitizePayload = false;
                return AclRuleError.None;
            case "nopass":
                NoPass = true;
                _passwords.Clear();
                return AclRuleError.None;
            case "resetpass":
                NoPass = false;
                _passwords.Clear();
                return AclRuleError.None;
            case "clearselectors":
                _selectors.RemoveRange(1, _selectors.Count - 1);
                return AclRuleError.None;
            case "reset":
                Apply("resetpass");
                Apply("resetkeys");
                Apply("resetchannels");
                Apply("off");
                Apply("sanitize-payload");
                Apply("clearselectors");
                Apply("-@all");
                return AclRuleError.None;
        }

        if (op[0] is '>' or '#' or '<' or '!')
        {
            // >password and <password name it in clear, #hash and !hash by its SHA-256.
            string hash;
            if (op[0] is '>' or '<')
                hash = AclPasswords.Hash(op[1..]);
            else if (AclPasswords.IsValidHash(op.AsSpan(1)))
                hash = op[1..];
            else
                return AclRuleError.BadHash;
            if (op[0] is '<' or '!')
                return _passwords.Remove(hash) ? AclRuleError.None : AclRuleError.NoSuchPassword;
            if (!_passwords.Contains(hash))
                _passwords.Add(hash);
            NoPass = false;
            return AclRuleError.None;
        }

        if (op[0] == '(' && op[^1] == ')')
        {
            var selector = new AclSelector();
            foreach (var inner in op[1..^1].Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                var error = selector.Apply(inner);
                if (error != AclRuleError.None)
                    return error;
            }

            _selectors.Add(selector);
            return AclRuleError.None;
        }

        return Root.Apply(op);
    }

    /// <summary>Whether <paramref name="password"/> logs this user in (disabled users never log in).</summary>
    public bool Accepts(ReadOnlySpan<byte> password)
    {
        if (!Enabled)
            return false;
        if (NoPass)
            return true;
        var hash = AclPasswords.Hash(password);
        var found = false;
        foreach (var stored in _passwords)
            found |= AclPasswords.HashesEqual(stored, hash);
        return found;
    }

    /// <summary>
    /// Checks a request against every selector (Redis's ACLCheckAllUserCommandPerm): allowed when one selector allows
    /// the command with all its keys and channels; otherwise the most relevant refusal (a key or channel over the
    /// command, the later argument over the earlier).
    /// </summary>
    /// <param name="keys">Argument positions of the request's keys.</param>
    /// <param name="channels">Argument positions of its channels, and whether each is a PSUBSCRIBE pattern.</param>
    /// <param name="prefixes">Of <paramref name="keys"/>, those holding a prefix: every key starting with it must be allowed.</param>
    public AclCheck Check(AclCommandInfo command, IReadOnlyList<byte[]> request, IReadOnlyList<int> keys, IReadOnlyList<int> prefixes,
        IReadOnlyList<(int Position, bool IsPattern)> channels, AclKeyAccess access)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(prefixes);
        ArgumentNullException.ThrowIfNull(channels);
        var relevant = new AclCheck(AclDenial.Command, 0);
        foreach (var selector in _selectors)
        {
            var result = CheckSelector(selector, command, request, keys, prefixes, channels, access);
            if (result.Denial == AclDenial.None)
                return result;
            if (result.Denial > relevant.Denial || (result.Denial == relevant.Denial && result.Position > relevant.Position))
                relevant = result;
        }

        return relevant;
    }

    private static AclCheck CheckSelector(AclSelector selector, AclCommandInfo command, IReadOnlyList<byte[]> request,
        IReadOnlyList<int> keys, IReadOnlyList<int> prefixes, IReadOnlyList<(int Position, bool IsPattern)> channels, AclKeyAccess access)
    {
        if (!selector.AllowsCommand(command, request))
            return new AclCheck(AclDenial.Command, 0);
        if (!selector.AllKeys)
        {
            foreach (var position in keys)
            {
                var allowed = prefixes.Contains(position) ? selector.AllowsPrefix(request[position], access) : selector.AllowsKey(request[position], access);
                if (!allowed)
                    return new AclCheck(AclDenial.Key, position);
            }
        }

        if (!selector.AllChannels)
        {
            foreach (var (position, isPattern) in channels)
            {
                if (!selector.AllowsChannel(request[position], isPattern))
                    return new AclCheck(AclDenial.Channel, position);
            }
        }

        return new AclCheck(AclDenial.None, 0);
    }

    /// <summary>
    /// Whether one selector allows the request and also every key for <paramref name="keyAccess"/> (Redis's
    /// ACLUserCheckCmdWithUnrestrictedKeyAccess): what SORT's BY and GET patterns need, since they name keys only when run.
    /// </summary>
    public bool HasUnrestrictedKeyAccess(AclCommandInfo command, IReadOnlyList<byte[]> request, IReadOnlyList<int> keys, IReadOnlyList<int> prefixes,
        IReadOnlyList<(int Position, bool IsPattern)> channels, AclKeyAccess access, AclKeyAccess keyAccess)
    {
        foreach (var selector in _selectors)
        {
            if (CheckSelector(selector, command, request, keys, prefixes, channels, access).Denial == AclDenial.None && selector.HasUnrestrictedKeyAccess(keyAccess))
                return true;
        }

        return false;
    }

    /// <summary>Whether any selector allows the channel (a PSUBSCRIBE pattern literally): Redis's ACLUserCheckChannelPerm.</summary>
    public bool AllowsChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        foreach (var selector in _selectors)
        {
            if (selector.AllowsChannel(channel, isPattern))
                return true;
        }

        return false;
    }

    /// <summary>The user as rules (Redis's ACLDescribeUser): flags, password hashes, the root selector, then (selectors).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var flag in Flags())
            text.Append(flag).Append(' ');
        foreach (var hash in _passwords)
            text.Append('#').Append(hash).Append(' ');
        text.Append(Root.Describe());
        foreach (var selector in _selectors.Skip(1))
            text.Append(" (").Append(selector.Describe()).Append(')');
        return text.ToString();
    }

    /// <summary>The flags in Redis's order: on|off, nopass, skip-sanitize-payload|sanitize-payload.</summary>
    public IEnumerable<string> Flags()
    {
        yield return Enabled ? "on" : "off";
        if (NoPass)
            yield return "nopass";
        if (SkipSanitizePayload is { } skip)
            yield return skip ? "skip-sanitize-payload" : "sanitize-payload";
    }

    /// <summary>ACL GETUSER's commands, keys and channels of one selector (0 = root).</summary>
    public (string Commands, string Keys, string Channels) DescribeSelector(int index) =>
        (_selectors[index].DescribeCommands(), _selectors[index].DescribeKeys(), _selectors[index].DescribeChannels());

    public int SelectorCount => _selectors.Count;

    internal static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
