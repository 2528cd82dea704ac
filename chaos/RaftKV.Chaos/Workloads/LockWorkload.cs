using System.Collections.Concurrent;
using System.Globalization;
using RaftKV.Chaos.Checkers;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>
/// Clients contend for a few locks. A client acquires one (a fresh owner per attempt), then, while its client-side
/// lease lasts, appends <c>token:owner:seq</c> to the lock's resource <c>fenced:&lt;lock&gt;</c>, then releases.
/// Two flavours: <see cref="Fencing"/> uses RAFTKV.LOCK.ACQUIRE/RELEASE (the token is the acquiring entry's index);
/// <see cref="RedisWay"/> uses <c>SET lock owner NX PX ttl</c>, has no token (the element is <c>owner:seq</c>) and
/// lets the lease expire, since Redis has no compare-and-delete command to release by owner.
/// The holder's lease starts at the acquire's invocation (conservative) and lasts ttl minus <see cref="MarginMs"/>.
/// </summary>
internal sealed class LockWorkload : Workload
{
    private const int Locks = 2;
    private const int MinTtlMs = 1500;
    private const int MaxTtlMs = 3000;
    private const int MaxWrites = 6;

    /// <summary>Safety margin for clock rate drift between the client and the leaders' lease clocks.</summary>
    public const int MarginMs = 300;

    /// <summary>
    /// A write is decided only while this much of the lease is left: the invocation is stamped a moment after the
    /// decision, and must still fall inside the lease.
    /// </summary>
    private const long DecisionGuardNs = 50_000_000;

    private static readonly string[] s_nothingHappened = ["LOCKED", "NOTOWNER", "NOLOCK", "TRYAGAIN"];

    private readonly bool _fencing;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<int, LockSession> _sessions = new();

    private LockWorkload(string name, string keyPrefix, bool fencing) : base(name, keyPrefix, liveKeys: Locks, opsPerKey: int.MaxValue)
    {
        _fencing = fencing;
        _prefix = keyPrefix;
        Checker = new LockChecker(name, fencing);
    }

    public static LockWorkload Fencing() => new("lock", "lock", fencing: true);

    public static LockWorkload RedisWay() => new("redis-lock", "rlock", fencing: false);

    public override IChecker Checker { get; }

    /// <summary>The list a holder appends to: the resource the lock protects.</summary>
    public static string Resource(string lockName) => "fenced:" + lockName;

    public override Op Next(int client, long now, Random random, Func<long> uniqueValue)
    {
        var session = _sessions.GetOrAdd(client, _ => new LockSession());
        if (session.Holding)
        {
            if (session.WritesLeft > 0 && now + DecisionGuardNs < session.Deadline)
            {
                var text = (_fencing ? Number(session.Token!.Value) + ":" : "") + session.Owner + ":" + Number(session.Sequence);
                return new Op { Workload = Name, F = "write", Key = session.Lock, Owner = session.Owner, Value = session.Token, Text = text };
            }
            if (_fencing)
                return new Op { Workload = Name, F = "release", Key = session.Lock, Owner = session.Owner };
            session.Clear();
        }
        var ttl = random.Next(MinTtlMs, MaxTtlMs + 1);
        session.WritesLeft = random.Next(1, MaxWrites + 1);
        return new Op
        {
            Workload = Name, F = "acquire", Key = UseKey(_prefix + ":" + Number(random.Next(Locks))),
            Owner = "o" + Number(uniqueValue()), TtlMs = ttl, LeaseMs = ttl - MarginMs,
        };
    }

    public override void Completed(int client, Op invoke, Op completion)
    {
        var session = _sessions.GetOrAdd(client, _ => new LockSession());
        switch (invoke.F)
        {
            case "acquire" when completion.Type == OpType.Ok:
                session.Lock = invoke.Key;
                session.Owner = invoke.Owner;
                session.Token = _fencing ? completion.Value : null;
                session.Deadline = invoke.Time + invoke.LeaseMs!.Value * 1_000_000;
                session.Sequence = 0;
                break;
            case "write":
                session.Sequence++;
                // After an unknown outcome the holder stops using the lock: the write may land at any time.
                session.WritesLeft = completion.Type == OpType.Info ? 0 : session.WritesLeft - 1;
                break;
            case "release":
                session.Clear();
                break;
        }
    }

    public override bool IsDefiniteFailure(Op invoke, string error) =>
        invoke.F is "acquire" or "release" && s_nothingHappened.Any(e => error.StartsWith(e, StringComparison.Ordinal));

    public override IReadOnlyList<string> Command(Op invoke)
    {
        var ttl = invoke.TtlMs?.ToString(CultureInfo.InvariantCulture) ?? "";
        return invoke.F switch
        {
            "acquire" when _fencing => ["RAFTKV.LOCK.ACQUIRE", invoke.Key!, invoke.Owner!, ttl],
            "acquire" => ["SET", invoke.Key!, invoke.Owner!, "NX", "PX", ttl],
            "write" => ["RPUSH", Resource(invoke.Key!), invoke.Text!],
            "release" => ["RAFTKV.LOCK.RELEASE", invoke.Key!, invoke.Owner!],
            _ => ["LRANGE", Resource(invoke.Key!), "0", "-1"],
        };
    }

    public override Op Complete(Op invoke, RespValue reply) => invoke.F switch
    {
        "acquire" when _fencing => reply.Kind == RespKind.Integer
            ? invoke with { Type = OpType.Ok, Value = reply.Integer }
            : throw new FormatException($"RAFTKV.LOCK.ACQUIRE replied {reply}"),
        "acquire" => reply switch
        {
            { Kind: RespKind.Simple, Text: "OK" } => invoke with { Type = OpType.Ok },
            { Kind: RespKind.Null } => invoke with { Type = OpType.Fail, Error = "not set: the lock is held" },
            _ => throw new FormatException($"SET NX replied {reply}"),
        },
        "write" or "release" => reply.Kind == RespKind.Integer
            ? invoke with { Type = OpType.Ok, Value = reply.Integer }
            : throw new FormatException($"{invoke.F} replied {reply}"),
        _ => reply.Kind switch
        {
            RespKind.Array => invoke with { Type = OpType.Ok, Texts = reply.Items!.Select(i => i.Text ?? throw new FormatException("nil element")).ToArray() },
            RespKind.Null => invoke with { Type = OpType.Ok, Texts = [] },
            _ => throw new FormatException($"LRANGE replied {reply}"),
        },
    };
}
