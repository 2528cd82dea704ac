using System.Collections.Concurrent;
using System.Globalization;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>
/// A workload makes ops on its own keys (prefixed with its name, so workloads never collide), turns them into
/// RESP commands, reads replies into completions, and names the checker for its history. Keys rotate: a few keys
/// are live at a time and each serves a bounded number of ops, which keeps per-key checking cheap.
/// </summary>
internal abstract class Workload(string name, string keyPrefix, int liveKeys, int opsPerKey)
{
    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);
    private long _ops;

    public string Name { get; } = name;

    public abstract IChecker Checker { get; }

    /// <summary>Every key an op was made for, for the final reads.</summary>
    public IReadOnlyList<string> Keys => _keys.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The next invocation (without process, index or time) for client <paramref name="client"/>, decided at
    /// <paramref name="now"/> on the history's clock. <paramref name="uniqueValue"/> gives fresh values.
    /// </summary>
    public abstract Op Next(int client, long now, Random random, Func<long> uniqueValue);

    /// <summary>Every completion of this workload's ops, in order per client (after it is in the history); stateful workloads follow their sessions here.</summary>
    public virtual void Completed(int client, Op invoke, Op completion)
    {
    }

    /// <summary>
    /// Error replies that this workload knows to mean "nothing happened" (a lock held by another owner), so the op
    /// is a fail rather than an unknown outcome. The general rules are <see cref="Running.OpExecutor"/>'s.
    /// </summary>
    public virtual bool IsDefiniteFailure(Op invoke, string error) => false;

    public abstract IReadOnlyList<string> Command(Op invoke);

    /// <summary>
    /// Runs the op on an open connection and returns its completion: by default <see cref="Command"/>, one reply,
    /// judged by <see cref="Running.OpExecutor.Interpret"/>. A workload whose op is a conversation (WATCH, GETs,
    /// MULTI ... EXEC) overrides it and must leave the connection outside MULTI and WATCH. Throws
    /// <see cref="TimeoutException"/> or <see cref="IOException"/> when the outcome is unknown (the connection is
    /// then dropped).
    /// </summary>
    public virtual async Task<Op> ExchangeAsync(RespClient client, Op invoke, TimeSpan timeout, CancellationToken token) =>
        Running.OpExecutor.Interpret(this, invoke, await client.ExecuteAsync(Command(invoke), timeout, token).ConfigureAwait(false));

    /// <summary>The ok completion for a non-error reply; throws <see cref="FormatException"/> on an unexpected reply.</summary>
    public abstract Op Complete(Op invoke, RespValue reply);

    public virtual Op Read(string key, bool final) => new() { Workload = Name, F = "read", Key = key, Final = final ? true : null };

    protected string NextKey(Random random)
    {
        var n = Interlocked.Increment(ref _ops);
        var generation = n / ((long)liveKeys * opsPerKey);
        var key = keyPrefix + ":" + (generation * liveKeys + random.Next(liveKeys)).ToString(CultureInfo.InvariantCulture);
        _keys.TryAdd(key, 0);
        return key;
    }

    /// <summary>Records a fixed key (workloads that do not rotate keys), so the final reads read it.</summary>
    protected string UseKey(string key)
    {
        _keys.TryAdd(key, 0);
        return key;
    }

    protected static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static Workload Create(string name) => name switch
    {
        "register" => new RegisterWorkload(),
        "list-append" => new ListAppendWorkload(),
        "counter" => new CounterWorkload(),
        "set" => new SetWorkload(),
        "lock" => LockWorkload.Fencing(),
        "redis-lock" => LockWorkload.RedisWay(),
        "bank" => new BankWorkload(),
        _ => throw new ArgumentException($"unknown workload '{name}' (register, list-append, counter, set, lock, redis-lock, bank)"),
    };
}
