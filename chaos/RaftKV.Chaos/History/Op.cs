using System.Text.Json.Serialization;

namespace RaftKV.Chaos.History;

/// <summary>
/// One history event. Client ops carry a workload, a function (<c>write</c>, <c>read</c>, <c>append</c>, <c>add</c>,
/// <c>incr</c>; the lock workloads' <c>acquire</c>, <c>write</c>, <c>release</c>; the bank's <c>init</c>,
/// <c>transfer</c>, <c>guarded</c>), a key and a value or values. On an invocation, Value is what is sent (the written, appended or added
/// value, the increment); on an ok completion, Value is what the server returned (a read value, RPUSH's length,
/// INCRBY's result, SADD's count) and Values a list or set read. Nemesis events have process -1.
/// <see cref="Time"/> is nanoseconds on a monotonic clock since the run began.
/// </summary>
internal sealed record Op
{
    public const int NemesisProcess = -1;

    public long Index { get; init; }
    public long Time { get; init; }
    public int Process { get; init; }
    public OpType Type { get; init; }
    public string? Workload { get; init; }
    public string F { get; init; } = "";
    public string? Key { get; init; }
    public long? Value { get; init; }
    public long[]? Values { get; init; }
    public string? Node { get; init; }

    /// <summary>Lock workloads: the owner the op acts for (unique per acquisition attempt).</summary>
    public string? Owner { get; init; }

    /// <summary>Lock workloads, on an acquire: the ttl sent to the server, in milliseconds.</summary>
    public long? TtlMs { get; init; }

    /// <summary>
    /// Lock workloads, on an acquire: how long after the acquire's invocation the holder trusts its lease (the ttl
    /// minus a safety margin), in milliseconds. The holder sends nothing under the lock after that.
    /// </summary>
    public long? LeaseMs { get; init; }

    /// <summary>A string sent (the lock workloads' fenced element); on an ok list read, <see cref="Texts"/> holds what came back.</summary>
    public string? Text { get; init; }

    public string[]? Texts { get; init; }

    /// <summary>Bank workload, on an invocation: the accounts (keys) the op touches, in the order of <see cref="Balances"/>.</summary>
    public string[]? Accounts { get; init; }

    /// <summary>
    /// Bank workload, on a completion: every balance the op observed, in order (MGET's values; a guarded transfer's
    /// GETs, then EXEC's DECRBY/INCRBY replies; a transfer's EXEC replies). The i-th is of
    /// <see cref="Accounts"/>[i mod the number of accounts]; null where the key did not exist.
    /// </summary>
    public long?[]? Balances { get; init; }
    public string? Error { get; init; }

    /// <summary>True on the reads made after the final heal; checkers require one ok final read per key.</summary>
    public bool? Final { get; init; }

    /// <summary>What a nemesis event did, in words.</summary>
    public string? Note { get; init; }

    [JsonIgnore]
    public bool IsNemesis => Process == NemesisProcess;
}
