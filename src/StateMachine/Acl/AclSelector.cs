using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Acl;

/// <summary>
/// One set of permissions of a user (the root one, or a <c>(...)</c> selector), as Redis 7.0's aclSelector: the commands
/// allowed (one bit per <see cref="AclCommandCatalog.All"/> entry, plus a last bit for commands added later, which
/// only +@all sets), allowed first arguments of otherwise blocked commands (+select|0), key patterns and channel
/// patterns. Mutable while a rule set is applied to a copy; never changed once its user is published.
/// </summary>
internal sealed class AclSelector
{
    private static readonly int CommandCount = AclCommandCatalog.All.Count;
    private readonly bool[] _commands = new bool[CommandCount + 1];
    private readonly SortedDictionary<int, List<string>> _firstArgs = [];
    private readonly List<AclKeyPattern> _keys = [];
    private readonly List<byte[]> _channels = [];

    public bool AllKeys { get; private set; }

    public bool AllChannels { get; private set; }

    public bool AllCommands { get; private set; }

    public IReadOnlyList<AclKeyPattern> Keys => _keys;

    public IReadOnlyList<byte[]> Channels => _channels;

    private bool FutureCommands => _commands[CommandCount];

    public AclSelector Clone()
    {
        var copy = new AclSelector { AllKeys = AllKeys, AllChannels = AllChannels, AllCommands = AllCommands };
        Array.Copy(_commands, copy._commands, _commands.Length);
        foreach (var (id, args) in _firstArgs)
            copy._firstArgs[id] = [.. args];
        copy._keys.AddRange(_keys.Select(static k => new AclKeyPattern(k.Pattern, k.Access)));
        copy._channels.AddRange(_channels);
        return copy;
    }

    /// <summary>Applies one selector rule (Redis's ACLSetSelector); on error nothing is guaranteed of this copy.</summary>
    public AclRuleError Apply(string op)
    {
        if (Is(op, "allkeys") || Is(op, "~*"))
        {
            AllKeys = true;
            _keys.Clear();
        }
        else if (Is(op, "resetkeys"))
        {
            AllKeys = false;
            _keys.Clear();
        }
        else if (Is(op, "allchannels") || Is(op, "&*"))
        {
            AllChannels = true;
            _channels.Clear();
        }
        else if (Is(op, "resetchannels"))
        {
            AllChannels = false;
            _channels.Clear();
        }
        else if (Is(op, "allcommands") || Is(op, "+@all"))
        {
            Array.Fill(_commands, true);
            AllCommands = true;
            _firstArgs.Clear();
        }
        else if (Is(op, "nocommands") || Is(op, "-@all"))
        {
            Array.Fill(_commands, false);
            AllCommands = false;
            _firstArgs.Clear();
        }
        else if (op[0] is '~' or '%')
        {
            return AddKeyPattern(op);
        }
        else if (op[0] == '&')
        {
            if (AllChannels)
                return AclRuleError.ChannelAfterAllChannels;
            if (HasSpaces(op.AsSpan(1)))
                return AclRuleError.Syntax;
            var channel = Encoding.Latin1.GetBytes(op[1..]);
            if (!_channels.Exists(c => c.AsSpan().SequenceEqual(channel)))
                _channels.Add(channel);
            AllChannels = false;
        }
        else if (op[0] == '+' && (op.Length < 2 || op[1] != '@'))
        {
            return Allow(op[1..]);
        }
        else if (op[0] == '-' && (op.Length < 2 || op[1] != '@'))
        {
            if (Lookup(op[1..]) is not { } command)
                return AclRuleError.UnknownCommand;
            ChangePermission(command, false);
        }
        else if (op[0] is '+' or '-' && op.Length >= 2 && op[1] == '@')
        {
            var category = AclCommandCatalog.FindCategory(op[2..]);
            if (category == AclCategories.None)
                return AclRuleError.UnknownCommand;
            SetCategory(category, op[0] == '+');
        }
        else
        {
            return AclRuleError.Syntax;
        }

        return AclRuleError.None;
    }

    private AclRuleError AddKeyPattern(string op)
    {
        if (AllKeys)
            return AclRuleError.KeyAfterAllKeys;
        var access = AclKeyAccess.None;
        var offset = 1;
        if (op[0] == '%')
        {
            for (; offset < op.Length; offset++)
            {
                var c = char.ToUpperInvariant(op[offset]);
                if (c == 'R' && (access & AclKeyAccess.Read) == 0)
                    access |= AclKeyAccess.Read;
                else if (c == 'W' && (access & AclKeyAccess.Write) == 0)
                    access |= AclKeyAccess.Write;
                else if (op[offset] == '~')
                {
                    offset++;
                    break;
                }
                else
                    return AclRuleError.Syntax;
            }

            // Redis would keep a pattern granting nothing ("%~x") and then fail to describe it: refused here.
            if (access == AclKeyAccess.None)
                return AclRuleError.Syntax;
        }
        else
        {
            access = AclKeyAccess.Read | AclKeyAccess.Write;
        }

        if (HasSpaces(op.AsSpan(offset)))
            return AclRuleError.Syntax;
        var pattern = Encoding.Latin1.GetBytes(op[offset..]);
        if (_keys.Find(k => k.Pattern.AsSpan().SequenceEqual(pattern)) is { } existing)
            existing.Access |= access;
        else
            _keys.Add(new AclKeyPattern(pattern, access));
        AllKeys = false;
        return AclRuleError.None;
    }

    /// <summary>+command, +container|subcommand, or +command|first-arg of a command without subcommands.</summary>
    private AclRuleError Allow(string name)
    {
        var bar = name.LastIndexOf('|');
        if (bar < 0)
        {
            if (Lookup(name) is not { } command)
                return AclRuleError.UnknownCommand;
            ChangePermission(command, true);
            return AclRuleError.None;
        }

        if (Lookup(name[..bar]) is not { } parent)
            return AclRuleError.UnknownCommand;
        if (parent.Parent is not null)
            return AclRuleError.SubcommandFirstArg;
        var sub = name[(bar + 1)..];
        if (sub.Length == 0)
            return AclRuleError.Syntax;
        if (parent.Subcommands.Count > 0)
        {
            if (Lookup(name) is not { } subcommand)
                return AclRuleError.UnknownCommand;
            ChangePermission(subcommand, true);
            return AclRuleError.None;
        }

        if (!_firstArgs.TryGetValue(parent.Index, out var args))
            _firstArgs[parent.Index] = args = [];
        if (!args.Exists(a => string.Equals(a, sub, StringComparison.OrdinalIgnoreCase)))
            args.Add(sub);
        return AclRuleError.None;
    }

    /// <summary>A command by name as Redis's ACL looks it up: <c>name</c> or <c>container|sub</c>, any case.</summary>
    private static AclCommandInfo? Lookup(string name)
    {
        var parts = name.Split('|');
        if (parts.Length > 2)
            return null;
        if (AclCommandCatalog.Find(parts[0]) is not { } command)
            return null;
        if (parts.Length == 1)
            return command;
        return command.Subcommands.Count == 0 ? null : AclCommandCatalog.Find(name);
    }

    /// <summary>Allows or blocks a command, and a container's subcommands with it (Redis's ACLChangeSelectorPerm).</summary>
    private void ChangePermission(AclCommandInfo command, bool allow)
    {
        SetBit(command.Index, allow);
        _firstArgs.Remove(command.Index);
        foreach (var sub in command.Subcommands)
            SetBit(sub.Index, allow);
    }

    private void SetBit(int index, bool value)
    {
        _commands[index] = value;
        if (!value)
            AllCommands = false;
    }

    private void SetCategory(AclCategories category, bool allow)
    {
        foreach (var command in AclCommandCatalog.All)
        {
            if ((command.Categories & category) != 0)
                ChangePermission(command, allow);
        }
    }

    private (int On, int Off) CountCategory(AclCategories category)
    {
        int on = 0, off = 0;
        foreach (var command in AclCommandCatalog.All)
        {
            if ((command.Categories & category) != 0)
            {
                if (_commands[command.Index])
                    on++;
                else
                    off++;
            }
        }

        return (on, off);
    }

    /// <summary>Whether <paramref name="command"/> may run with <paramref name="request"/>'s first argument (bits and first-args only).</summary>
    public bool AllowsCommand(AclCommandInfo command, IReadOnlyList<byte[]> request)
    {
        if (AllCommands || command.NoAuth || _commands[command.Index])
            return true;
        if (request.Count < 2 || !_firstArgs.TryGetValue(command.Index, out var args))
            return false;
        var arg = Encoding.Latin1.GetString(request[1]);
        return args.Exists(a => string.Equals(a, arg, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Whether every key may be touched with <paramref name="access"/>: all keys, or the pattern <c>*</c> with that access
    /// (Redis's ACLSelectorHasUnrestrictedKeyAccess).
    /// </summary>
    public bool HasUnrestrictedKeyAccess(AclKeyAccess access)
    {
        if (AllKeys)
            return true;
        foreach (var pattern in _keys)
        {
            if ((pattern.Access & access) == access && pattern.Pattern is [(byte)'*'])
                return true;
        }

        return false;
    }

    /// <summary>
    /// Whether every key that starts with <paramref name="prefix"/> may be touched with <paramref name="access"/>: all
    /// keys, or a pattern that is a literal followed by one <c>*</c>, the literal a prefix of <paramref name="prefix"/>.
    /// Other patterns that might cover the range are not reasoned about: refused.
    /// </summary>
    public bool AllowsPrefix(ReadOnlySpan<byte> prefix, AclKeyAccess access)
    {
        if (AllKeys)
            return true;
        foreach (var pattern in _keys)
        {
            var glob = pattern.Pattern.AsSpan();
            if ((pattern.Access & access) != access || glob.Length == 0 || glob[^1] != (byte)'*')
                continue;
            var literal = glob[..^1];
            if (literal.IndexOfAny("*?[\\"u8) < 0 && prefix.StartsWith(literal))
                return true;
        }

        return false;
    }

    /// <summary>Whether a key may be touched with <paramref name="access"/> (Redis's ACLSelectorCheckKey).</summary>
    public bool AllowsKey(ReadOnlySpan<byte> key, AclKeyAccess access)
    {
        if (AllKeys)
            return true;
        foreach (var pattern in _keys)
        {
            if ((pattern.Access & access) == access && GlobPattern.IsMatch(pattern.Pattern, key))
                return true;
        }

        return false;
    }

    /// <summary>Whether a channel (or, literally, a PSUBSCRIBE pattern) may be used.</summary>
    public bool AllowsChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        if (AllChannels)
            return true;
        foreach (var allowed in _channels)
        {
            if (isPattern ? allowed.AsSpan().SequenceEqual(channel) : GlobPattern.IsMatch(allowed, channel))
                return true;
        }

        return false;
    }

    /// <summary>The keys part of ACL GETUSER: "~*", or the patterns with their prefixes.</summary>
    public string DescribeKeys() => AllKeys ? "~*" : string.Join(' ', _keys.Select(static k => k.Describe()));

    /// <summary>The channels part of ACL GETUSER: "&amp;*", or the patterns.</summary>
    public string DescribeChannels() => AllChannels ? "&*" : string.Join(' ', _channels.Select(static c => "&" + Encoding.Latin1.GetString(c)));

    /// <summary>The selector as rules (Redis's ACLDescribeSelector): keys, channels, then the command rules.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (AllKeys)
            text.Append("~* ");
        else
            foreach (var key in _keys)
                text.Append(key.Describe()).Append(' ');
        if (AllChannels)
            text.Append("&* ");
        else
        {
            text.Append("resetchannels ");
            foreach (var channel in _channels)
                text.Append('&').Append(Encoding.Latin1.GetString(channel)).Append(' ');
        }

        return text.Append(DescribeCommands()).ToString();
    }

    /// <summary>
    /// The command rules that rebuild this selector's command bits (Redis's ACLDescribeSelectorCommandRules): +@all or
    /// -@all, then the best-fitting categories one by one, then single commands and first-args, in catalog order.
    /// </summary>
    public string DescribeCommands()
    {
        var rules = new StringBuilder();
        var additive = !FutureCommands;
        var fake = new AclSelector();
        rules.Append(additive ? "-@all " : "+@all ");
        fake.Apply(additive ? "-@all" : "+@all");
        var temp = new AclSelector();
        Array.Copy(_commands, temp._commands, _commands.Length);
        var applied = new bool[AclCommandCatalog.CategoryNames.Count];
        while (true)
        {
            int best = -1, minDiff = int.MaxValue, maxSame = 0;
            for (var j = 0; j < applied.Length; j++)
            {
                if (applied[j])
                    continue;
                var (on, off) = temp.CountCategory((AclCategories)(1 << j));
                var diff = additive ? off : on;
                var same = additive ? on : off;
                if (same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)))
                {
                    best = j;
                    minDiff = diff;
                    maxSame = same;
                }
            }

            if (best == -1)
                break;
            var name = AclCommandCatalog.CategoryNames[best];
            fake.SetCategory((AclCategories)(1 << best), additive);
            temp.SetCategory((AclCategories)(1 << best), !additive);
            rules.Append(additive ? "+@" : "-@").Append(name).Append(' ');
            applied[best] = true;
        }

        foreach (var command in AclCommandCatalog.All)
        {
            if (command.Parent is not null)
                continue;
            DescribeSingle(command, fake, rules);
            foreach (var sub in command.Subcommands)
                DescribeSingle(sub, fake, rules);
            if (!_commands[command.Index] && _firstArgs.TryGetValue(command.Index, out var args))
            {
                foreach (var arg in args)
                    rules.Append('+').Append(command.FullName).Append('|').Append(arg).Append(' ');
            }
        }

        return rules.ToString(0, rules.Length - 1);
    }

    private void DescribeSingle(AclCommandInfo command, AclSelector fake, StringBuilder rules)
    {
        var mine = _commands[command.Index];
        if (mine == fake._commands[command.Index])
            return;
        rules.Append(mine ? '+' : '-').Append(command.FullName).Append(' ');
        fake.ChangePermission(command, mine);
    }

    private static bool Is(string op, string word) => string.Equals(op, word, StringComparison.OrdinalIgnoreCase);

    /// <summary>Redis refuses spaces and NUL in patterns (isspace: space, \t, \n, \v, \f, \r).</summary>
    internal static bool HasSpaces(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r' or '\0')
                return true;
        }

        return false;
    }
}
