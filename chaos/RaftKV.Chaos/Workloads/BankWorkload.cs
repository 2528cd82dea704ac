using System.Globalization;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>
/// Bank: two groups of <see cref="AccountsPerGroup"/> accounts (string keys holding integers), each set up once to
/// <see cref="InitialBalance"/> per account by one transaction, then moved between with transactions:
/// <list type="bullet">
/// <item><c>transfer</c> (group <c>plain</c>): <c>MULTI; DECRBY a x; INCRBY b x; EXEC</c>. Atomicity: whatever its
/// outcome, it conserves the group's total.</item>
/// <item><c>guarded</c> (group <c>guarded</c>): <c>WATCH a b; GET a; GET b</c>, then if a &gt;= x
/// <c>MULTI; SET a a-x; SET b b+x; EXEC</c> (or, half the time, <c>DECRBY a x; INCRBY b x</c>) else
/// <c>UNWATCH</c>. Isolation: without WATCH, a lost update breaks the total (SET form) and concurrent debits
/// overdraw an account (delta form); with it, EXEC answers null instead.</item>
/// <item><c>read</c>: <c>MGET</c> of a group's accounts, one linearizable read: the total is the initial total, and
/// no guarded balance is negative.</item>
/// </list>
/// The set-up uses <c>SET k v NX</c> so that a repeated set-up (after an unknown outcome) changes nothing once one
/// applied; transfers and guarded transfers wait until a set-up was acknowledged, reads may come first.
/// Keys are unique to the workload instance (<c>bank:&lt;random&gt;:plain:i</c>), so a reused server is no harm.
/// </summary>
internal sealed class BankWorkload : Workload
{
    public const int AccountsPerGroup = 5;
    public const long InitialBalance = 100;
    private const int MaxAmount = 50;

    /// <summary>The fail of a transaction whose EXEC answered null: a watched key changed, nothing applied.</summary>
    public const string AbortedByWatch = "aborted: EXEC answered null (a watched key changed)";

    /// <summary>The fail of a guarded transfer that found too little in the source account and unwatched.</summary>
    public const string Insufficient = "insufficient funds: unwatched";

    private readonly Lock _lock = new();
    private readonly string _plain;
    private readonly string _guarded;
    private readonly Dictionary<string, (bool Done, bool InFlight)> _setUp = new(StringComparer.Ordinal);

    public BankWorkload() : base("bank", "bank", liveKeys: 2, opsPerKey: int.MaxValue)
    {
        var prefix = "bank:" + Random.Shared.Next(1 << 28).ToString("x7", CultureInfo.InvariantCulture);
        _plain = prefix + ":plain";
        _guarded = prefix + ":guarded";
    }

    public override IChecker Checker { get; } = new BankChecker();

    /// <summary>The keys of a group's accounts: <c>group:0</c> ... <c>group:4</c>.</summary>
    public static string[] AccountsOf(string group) =>
        Enumerable.Range(0, AccountsPerGroup).Select(i => group + ":" + Number(i)).ToArray();

    public override Op Next(int client, long now, Random random, Func<long> uniqueValue)
    {
        var kind = random.Next(3);
        var group = UseKey(kind switch { 0 => _plain, 1 => _guarded, _ => random.Next(2) == 0 ? _plain : _guarded });
        lock (_lock)
        {
            var state = _setUp.GetValueOrDefault(group);
            if (!state.Done)
            {
                if (state.InFlight)
                    return Read(group, final: false);
                _setUp[group] = (false, true);
                return new Op { Workload = Name, F = "init", Key = group, Accounts = AccountsOf(group), Value = InitialBalance };
            }
        }
        if (kind == 2)
            return Read(group, final: false);
        var from = random.Next(AccountsPerGroup);
        var to = (from + 1 + random.Next(AccountsPerGroup - 1)) % AccountsPerGroup;
        var accounts = AccountsOf(group);
        return new Op
        {
            Workload = Name, F = kind == 0 ? "transfer" : "guarded", Key = group, Accounts = [accounts[from], accounts[to]],
            Value = random.Next(1, MaxAmount + 1), Text = kind == 0 ? null : random.Next(2) == 0 ? "set" : "delta",
        };
    }

    public override void Completed(int client, Op invoke, Op completion)
    {
        if (invoke.F != "init")
            return;
        lock (_lock)
            _setUp[invoke.Key!] = (completion.Type == OpType.Ok, false);
    }

    public override Op Read(string key, bool final) =>
        new() { Workload = Name, F = "read", Key = key, Accounts = AccountsOf(key), Final = final ? true : null };

    public override IReadOnlyList<string> Command(Op invoke) => ["MGET", .. invoke.Accounts!];

    public override Op Complete(Op invoke, RespValue reply) =>
        reply.Kind == RespKind.Array && reply.Items!.Count == invoke.Accounts!.Length
            ? invoke with { Type = OpType.Ok, Balances = reply.Items.Select(i => i.AsNumber()).ToArray() }
            : throw new FormatException($"MGET replied {reply}");

    public override async Task<Op> ExchangeAsync(RespClient client, Op invoke, TimeSpan timeout, CancellationToken token)
    {
        var conversation = new BankConversation(client, timeout, token);
        switch (invoke.F)
        {
            case "init":
            {
                var balance = Number(invoke.Value!.Value);
                var result = await conversation.TransactAsync(invoke.Accounts!.Select(a => new[] { "SET", a, balance, "NX" }).ToArray()).ConfigureAwait(false);
                return invoke with { Type = result.Outcome, Error = result.Error };
            }
            case "transfer":
            {
                var amount = Number(invoke.Value!.Value);
                var result = await conversation.TransactAsync([["DECRBY", invoke.Accounts![0], amount], ["INCRBY", invoke.Accounts[1], amount]]).ConfigureAwait(false);
                return invoke with { Type = result.Outcome, Error = result.Error, Balances = result.Outcome == OpType.Ok ? Integers(result.Replies) : null };
            }
            case "guarded":
                return await GuardedAsync(conversation, invoke).ConfigureAwait(false);
            default:
                return await base.ExchangeAsync(client, invoke, timeout, token).ConfigureAwait(false);
        }
    }

    /// <summary>WATCH, GET both, then the transaction or UNWATCH. Every balance read is in the completion.</summary>
    private static async Task<Op> GuardedAsync(BankConversation conversation, Op invoke)
    {
        var (a, b) = (invoke.Accounts![0], invoke.Accounts[1]);
        var amount = invoke.Value!.Value;
        var watch = await conversation.SendAsync("WATCH", a, b).ConfigureAwait(false);
        if (watch.IsError)
            return invoke with { Type = OpType.Fail, Error = "WATCH: " + watch.Text };
        if (watch is not { Kind: RespKind.Simple, Text: "OK" })
            throw new FormatException($"WATCH replied {watch}");

        var seen = new List<long?>();
        foreach (var key in invoke.Accounts)
        {
            var get = await conversation.SendAsync("GET", key).ConfigureAwait(false);
            if (get.IsError || get.Kind is not (RespKind.Bulk or RespKind.Null) || get.Kind == RespKind.Bulk && !long.TryParse(get.Text, CultureInfo.InvariantCulture, out _))
            {
                await conversation.SendAsync("UNWATCH").ConfigureAwait(false);
                return invoke with { Type = OpType.Fail, Error = $"GET {key}: {get}", Balances = [.. seen] };
            }
            seen.Add(get.AsNumber());
        }
        if (seen[0] is not { } balanceA || seen[1] is not { } balanceB || balanceA < amount)
        {
            await conversation.SendAsync("UNWATCH").ConfigureAwait(false);
            return invoke with { Type = OpType.Fail, Error = seen.Contains(null) ? "account missing: unwatched" : Insufficient, Balances = [.. seen] };
        }

        string[][] commands = invoke.Text == "set"
            ? [["SET", a, Number(balanceA - amount)], ["SET", b, Number(balanceB + amount)]]
            : [["DECRBY", a, Number(amount)], ["INCRBY", b, Number(amount)]];
        var result = await conversation.TransactAsync(commands).ConfigureAwait(false);
        if (result.Outcome == OpType.Ok && invoke.Text != "set")
            seen.AddRange(Integers(result.Replies));
        return invoke with { Type = result.Outcome, Error = result.Error, Balances = [.. seen] };
    }

    private static long?[] Integers(IReadOnlyList<RespValue> replies) =>
        replies.Select(r => r.Kind == RespKind.Integer ? r.Integer : throw new FormatException($"expected an integer in EXEC's reply, got {r}")).Cast<long?>().ToArray();
}
