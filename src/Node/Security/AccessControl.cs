using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Acl;

namespace RaftKV.Node.Security;

/// <summary>
/// Authentication and ACL checks against the replicated users, for every command before it is queued in MULTI,
/// forwarded or proposed (Redis's processCommand order: after the arity check, NOAUTH, then NOPERM). Until the
/// cluster's bootstrap entry has applied, a node configured with RequirePass or AclFile checks against those users
/// already, so a new cluster is never open in between.
/// </summary>
internal sealed class AccessControl : IDefaultUserPassword
{
    public const string NoAuth = "NOAUTH Authentication required.";
    public const string WrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

    private static readonly AclUsers Initial = new AclTable().Current;
    private readonly RaftHost _raft;

    public AccessControl(RaftHost raft, IOptions<NodeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _raft = raft;
        Log = new AclLog(() => _raft.IsStarted ? _raft.StateMachine.AclLogMaxLen : 128, TimeProvider.System);
        BootstrapEntry = AclBootstrapRecords.Build(options.Value);
        Configured = BootstrapEntry is null ? null : AclBootstrapRecords.Preview(BootstrapEntry);
    }

    /// <summary>This node's ACL LOG: the refusals of its own clients.</summary>
    public AclLog Log { get; }

    /// <summary>The AclBootstrap entry's arguments from this node's configuration; null when none is configured.</summary>
    public byte[][]? BootstrapEntry { get; }

    /// <summary>The configured users, enforced until the replicated table is bootstrapped.</summary>
    private AclUsers? Configured { get; }

    /// <summary>The users in force on this node now.</summary>
    public AclUsers Users
    {
        get
        {
            var applied = _raft.IsStarted ? _raft.StateMachine.Acl : Initial;
            return !applied.Bootstrapped && Configured is { } configured ? configured : applied;
        }
    }

    /// <summary>Redis's protected-mode test: the default user is not <c>nopass</c>.</summary>
    public bool DefaultUserHasPassword => !Users.Default.NoPass;

    /// <summary>The refusal Redis would answer for <paramref name="request"/> from <paramref name="who"/>, or null to run it.</summary>
    public Reply? Check(SessionIdentity who, CommandSpec spec, byte[][] request) => Check(who, spec, request, null, null);

    /// <summary>
    /// As <see cref="Check(SessionIdentity, CommandSpec, byte[][])"/>, and a refusal by the user's rules (not NOAUTH) is
    /// recorded in <see cref="Log"/> in <paramref name="context"/> with the client's CLIENT LIST line, as Redis's
    /// processCommand does; a null context records nothing (a relayed command, logged by the node its client is on).
    /// </summary>
    public Reply? Check(SessionIdentity who, CommandSpec spec, byte[][] request, AclLog.Context? context, Func<string>? clientInfo)
    {
        var denial = Evaluate(who, spec, request, out var command, out var position, out var sortRefusal);
        if (denial is null)
            return sortRefusal is null ? null : Reply.Error(sortRefusal);
        if (denial == AclDenial.None)
            return Reply.Error(NoAuth);
        LogDenial(who, denial.Value, command!, request, position, context, clientInfo);
        return denial switch
        {
            AclDenial.Key => Reply.Error("NOPERM this user has no permissions to access one of the keys used as arguments"),
            AclDenial.Channel => Reply.Error("NOPERM this user has no permissions to access one of the channels used as arguments"),
            _ => Reply.Error($"NOPERM this user has no permissions to run the '{command!.FullName}' command"),
        };
    }

    private void LogDenial(SessionIdentity who, AclDenial denial, AclCommandInfo command, byte[][] request, int position, AclLog.Context? context,
        Func<string>? clientInfo)
    {
        if (context is not null)
            Log.Add(denial, context.Value, new AclCheck(denial, position).Subject(command, request), who.UserName, clientInfo?.Invoke() ?? "");
    }

    /// <summary>
    /// EXEC's second check of a queued command (Redis checks again in case the rules changed since it was queued): the
    /// error that replaces its reply, or null when it may still run.
    /// </summary>
    /// <param name="clientInfo">The client's CLIENT LIST line for <see cref="Log"/> (context multi); null records nothing.</param>
    public Reply? RecheckAtExec(SessionIdentity who, CommandSpec spec, byte[][] request, Func<string>? clientInfo = null)
    {
        var denial = Evaluate(who, spec, request, out var command, out var position, out var sortRefusal);
        if (denial is { } refused && refused != AclDenial.None)
            LogDenial(who, refused, command!, request, position, clientInfo is null ? null : AclLog.Context.Multi, clientInfo);
        var reason = denial switch
        {
            null or AclDenial.None => null,
            AclDenial.Key => "no permission to touch the specified keys",
            AclDenial.Channel => "no permission to access one of the channels used as arguments",
            _ => "no permission to execute the command or subcommand",
        };
        if (denial is null)
            return sortRefusal is null ? null : Reply.Error(sortRefusal);
        return reason is null
            ? null
            : Reply.Error("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
                          + "This command is no longer allowed for the following reason: " + reason);
    }

    // Null: the command may run. AclDenial.None: the client must authenticate first (NOAUTH). Otherwise what the user's
    // rules refuse; <paramref name="command"/> is the catalog entry when one was resolved.
    // <paramref name="position"/>: the refused key's or channel's argument.
    // <paramref name="sortRefusal"/>: for a SORT the rules allow, Redis's error for a BY or GET pattern without read access
    // to every key (Redis answers it when SORT runs; ACL LOG does not record it).
    private AclDenial? Evaluate(SessionIdentity who, CommandSpec spec, byte[][] request, out AclCommandInfo? command, out int position,
        out string? sortRefusal)
    {
        ArgumentNullException.ThrowIfNull(who);
        command = null;
        position = 0;
        sortRefusal = null;
        var users = Users;
        var user = users.Find(who.UserName);
        var signedIn = user is not null && user.Generation == who.Generation && (who.IsAuthenticated || !users.AuthRequired);
        if (signedIn && user!.IsUnrestricted)
            return null;
        // AUTH, HELLO, QUIT and RESET run before authentication and pass every rule (they name no key or channel).
        command = AclCommandCatalog.Resolve(request);
        if (command is null || command.NoAuth)
            return null;
        if (!signedIn)
            return AclDenial.None;
        var check = AclRequest.Check(user!, command, spec, request);
        position = check.Position;
        if (check.Denial != AclDenial.None)
            return check.Denial;
        sortRefusal = AclRequest.SortPatternRefusal(user!, command, spec, request);
        return null;
    }

    /// <summary>
    /// On a follower, waits (a little) until it has applied what the leader has committed, so that AUTH finds a user
    /// or password the leader has just acknowledged (read-your-writes across nodes); nothing on the leader.
    /// </summary>
    public async ValueTask CatchUpAsync(CancellationToken token)
    {
        if (!_raft.IsStarted || _raft.IsLeader)
            return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await _raft.Cluster.ApplyReadBarrierAsync(DotNext.Net.Cluster.Consensus.Raft.ReadBarrierType.Strong, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException
                                      or DotNext.Net.Cluster.Consensus.Raft.QuorumUnreachableException
                                      or DotNext.Net.Cluster.Consensus.Raft.NotLeaderException)
        {
            // No leader to ask, or it is slow: the local users answer.
        }
    }

    /// <summary>AUTH and HELLO AUTH: signs <paramref name="who"/> in, or answers WRONGPASS (unknown user, disabled, wrong password).</summary>
    /// <param name="logAs">
    /// For <see cref="Log"/>: the command as the client sent it (AUTH, HELLO), the context and the client's CLIENT LIST
    /// line; a failure is recorded with reason auth and the user name tried, as Redis does. Null records nothing.
    /// </param>
    public Reply Authenticate(SessionIdentity who, byte[] userName, byte[] password, (byte[] Command, AclLog.Context Context, Func<string> ClientInfo)? logAs = null)
    {
        ArgumentNullException.ThrowIfNull(who);
        var name = System.Text.Encoding.Latin1.GetString(userName);
        var user = Users.Find(name);
        if (user is null || !user.Accepts(password))
        {
            if (logAs is { } log)
                Log.Add(AclLog.Reason.Auth, log.Context, System.Text.Encoding.Latin1.GetString(log.Command), name, log.ClientInfo());
            return Reply.Error(WrongPass);
        }

        who.SignIn(user);
        return Reply.Ok;
    }

    /// <summary>
    /// Runs <paramref name="who"/> as <paramref name="userName"/> without a password: a forwarded connection carries the
    /// user its follower authenticated. False when the user is unknown here.
    /// </summary>
    public bool RunAs(SessionIdentity who, byte[] userName)
    {
        ArgumentNullException.ThrowIfNull(who);
        var user = Users.Find(System.Text.Encoding.Latin1.GetString(userName));
        if (user is null)
            return false;
        who.SignIn(user);
        return true;
    }

    /// <summary>
    /// True when a subscriber's user no longer allows one of its channels or patterns: Redis disconnects such a client
    /// when the user's channel rules change (ACLKillPubsubClientsIfNeeded).
    /// </summary>
    public bool LostChannels(SessionIdentity who, IEnumerable<string> channels, IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (Users.Find(who.UserName) is not { } user)
            return false;
        return channels.Any(c => !user.AllowsChannel(System.Text.Encoding.Latin1.GetBytes(c), isPattern: false))
               || patterns.Any(p => !user.AllowsChannel(System.Text.Encoding.Latin1.GetBytes(p), isPattern: true));
    }

    /// <summary>True when the user <paramref name="who"/> signed in as was deleted (or deleted and made again): Redis closes such connections.</summary>
    public bool IsRevoked(SessionIdentity who)
    {
        ArgumentNullException.ThrowIfNull(who);
        return Users.Find(who.UserName) is not { } user || user.Generation != who.Generation;
    }
}
