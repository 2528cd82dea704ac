using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Configuration;

/// <summary>
/// The replicated runtime configuration: the values CONFIG SET gave the <see cref="ConfigScope.Replicated"/>
/// parameters, changed only by applying a ConfigSet log entry (so every replica holds the same values at the same
/// index) and kept in snapshots. Parameters never set report their default. It is not part of DEBUG DIGEST, which is
/// Redis's keyspace digest (the suite compares it with Redis's); snapshots carry it byte for byte.
/// </summary>
public sealed class RuntimeConfig
{
    private readonly SortedDictionary<string, string> _values = new(StringComparer.Ordinal);

    public EncodingLimits Limits { get; private set; } = EncodingLimits.Default;

    /// <summary>notify-keyspace-events as <see cref="KeyspaceEvents"/> flags (0: notifications off).</summary>
    public int KeyspaceEventFlags { get; private set; }

    /// <summary>maxmemory in bytes (0: no limit), read by the leader outside the apply lock (a long is read whole on the 64-bit platforms RaftKV ships for).</summary>
    public long MaxMemoryBytes { get; private set; }

    /// <summary>tracking-table-max-keys (0: no bound), read by every node's client-tracking table outside the apply lock.</summary>
    public long TrackingTableMaxKeys { get; private set; } = 1_000_000;

    /// <summary>acllog-max-len: the most entries each node's ACL LOG keeps, read outside the apply lock.</summary>
    public long AclLogMaxLen { get; private set; } = 128;

    /// <summary>slowlog-log-slower-than in microseconds (negative: SLOWLOG records nothing), read by every node outside the apply lock.</summary>
    public long SlowlogLogSlowerThan { get; private set; } = 10_000;

    /// <summary>slowlog-max-len: the most entries each node's SLOWLOG keeps, read outside the apply lock.</summary>
    public long SlowlogMaxLen { get; private set; } = 128;

    /// <summary>maxmemory-policy as CONFIG GET reports it, read by INFO outside the apply lock.</summary>
    public string MaxMemoryPolicy { get; private set; } = "noeviction";

    /// <summary>maxmemory-policy parsed, read by the leader outside the apply lock.</summary>
    public Eviction.EvictionPolicy EvictionPolicy { get; private set; }

    /// <summary>lfu-log-factor and lfu-decay-time while maxmemory-policy is an LFU one, else null.</summary>
    public Eviction.LfuSettings? Lfu { get; private set; }

    /// <summary>maxmemory-samples: keys an LRU or LFU eviction draws to evict the best of.</summary>
    public int MaxMemorySamples { get; private set; } = 5;

    /// <summary>latency-monitor-threshold in milliseconds (0: off), read by every node's latency monitor outside the apply lock.</summary>
    public long LatencyMonitorThreshold { get; private set; }

    /// <summary>Whether every parameter holds its default (then snapshots need no configuration section).</summary>
    public bool IsDefault => _values.Count == 0;

    /// <summary>The value CONFIG GET reports for a replicated or fixed parameter.</summary>
    public string Get(ConfigParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        var value = _values.TryGetValue(parameter.Name, out var stored) ? stored : parameter.Default;

        // Kept as set ('n' next to 'A' included), reported as Redis reports it (without).
        return parameter.Kind == ConfigKind.KeyspaceEvents && KeyspaceEvents.TryParse(value, out var flags) ? KeyspaceEvents.Format(flags) : value;
    }

    /// <summary>The value of the parameter named <paramref name="name"/> (canonical name or alias); "" for an unknown name.</summary>
    public string Get(string name) => ConfigParameters.TryFind(name, out var parameter) ? Get(parameter) : "";

    /// <summary>The parameters that differ from their defaults, in ordinal name order (the snapshot's section).</summary>
    public IEnumerable<KeyValuePair<string, string>> Changed => _values;

    /// <summary>
    /// Checks CONFIG SET's name-value pairs as Redis 7.0 does, in its order: names first (unknown, not settable or
    /// repeated: the first such argument is reported), then values. On success, <paramref name="changes"/> holds each
    /// parameter with its normalized value. <paramref name="pairs"/> excludes "CONFIG SET".
    /// </summary>
    public static bool TryParse(byte[][] pairs, out List<KeyValuePair<ConfigParameter, string>> changes, out string? error)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        changes = [];
        error = null;
        if (pairs.Length == 0 || pairs.Length % 2 != 0)
        {
            error = "ERR syntax error";
            return false;
        }

        // Redis 7.0 registers each alias as an entry of its own: a name repeated is a duplicate, a name and its alias are
        // not (the later value wins), and a bad value is reported under the entry it was set by, in lower case.
        var found = new List<(ConfigParameter Parameter, string Entry)>();
        for (var i = 0; i < pairs.Length; i += 2)
        {
            var typed = Encoding.UTF8.GetString(pairs[i]);
            if (!ConfigParameters.TryFind(typed, out var parameter))
            {
                error = $"ERR Unknown option or number of arguments for CONFIG SET - '{typed}'";
                return false;
            }

            var entry = typed.ToLowerInvariant();
            var refusal = parameter.Scope switch
            {
                ConfigScope.Immutable => "can't set immutable config",
                ConfigScope.Node => "can't set this node's own setting at runtime: RaftKV reads it from the node's configuration at start-up",
                _ => found.Exists(f => f.Entry == entry) ? "duplicate parameter" : null,
            };
            if (refusal is not null)
            {
                error = $"ERR CONFIG SET failed (possibly related to argument '{typed}') - {refusal}";
                return false;
            }

            found.Add((parameter, entry));
        }

        for (var i = 0; i < found.Count; i++)
        {
            var (parameter, entry) = found[i];
            if (!ConfigValues.TryNormalize(parameter, Encoding.UTF8.GetString(pairs[(2 * i) + 1]), out var normalized, out var problem))
            {
                error = $"ERR CONFIG SET failed (possibly related to argument '{entry}') - {problem}";
                changes.Clear();
                return false;
            }

            changes.Add(new(parameter, normalized));
        }

        return true;
    }

    /// <summary>Applies a ConfigSet entry: all its pairs or none (a refused entry changes nothing, alike on every replica).</summary>
    public Reply Apply(byte[][] pairs)
    {
        if (!TryParse(pairs, out var changes, out var error))
        {
            return Reply.Error(error!);
        }

        foreach (var (parameter, value) in changes)
        {
            Store(parameter, value);
        }

        Derive();
        return Reply.Ok;
    }

    /// <summary>Loads one snapshot pair; false when the name is not a replicated parameter or the value is invalid.</summary>
    internal bool TryLoad(string name, string value)
    {
        if (!ConfigParameters.TryFind(name, out var parameter) || parameter.Name != name || parameter.Scope != ConfigScope.Replicated
            || !ConfigValues.TryNormalize(parameter, value, out var normalized, out _) || normalized != value)
        {
            return false;
        }

        Store(parameter, value);
        Derive();
        return true;
    }

    // The values read often or outside the apply lock, computed again whenever a parameter changes.
    private void Derive()
    {
        Limits = ComputeLimits();
        KeyspaceEventFlags = ComputeKeyspaceEventFlags();
        MaxMemoryBytes = ComputeMaxMemory();
        TrackingTableMaxKeys = Number("tracking-table-max-keys");
        AclLogMaxLen = Number("acllog-max-len");
        SlowlogLogSlowerThan = Number("slowlog-log-slower-than");
        SlowlogMaxLen = Number("slowlog-max-len");
        LatencyMonitorThreshold = Number("latency-monitor-threshold");
        MaxMemoryPolicy = Get("maxmemory-policy");
        EvictionPolicy = Eviction.EvictionPolicies.Parse(MaxMemoryPolicy);
        Lfu = Eviction.EvictionPolicies.IsLfu(EvictionPolicy)
            ? new Eviction.LfuSettings((int)Math.Min(int.MaxValue, Number("lfu-log-factor")), (int)Math.Min(int.MaxValue, Number("lfu-decay-time")))
            : null;
        MaxMemorySamples = (int)Math.Clamp(Number("maxmemory-samples"), 1, 64);
    }

    private void Store(ConfigParameter parameter, string value)
    {
        if (value == parameter.Default)
        {
            _values.Remove(parameter.Name);
        }
        else
        {
            _values[parameter.Name] = value;
        }
    }

    private EncodingLimits ComputeLimits() => new(
        Number("hash-max-listpack-entries"),
        Number("hash-max-listpack-value"),
        Number("zset-max-listpack-entries"),
        Number("zset-max-listpack-value"),
        Number("set-max-intset-entries"),
        Number("hll-sparse-max-bytes"),
        Number("stream-node-max-entries"));

    private int ComputeKeyspaceEventFlags() =>
        _values.TryGetValue("notify-keyspace-events", out var stored) && KeyspaceEvents.TryParse(stored, out var flags) ? flags : 0;

    private long ComputeMaxMemory() =>
        long.TryParse(Get("maxmemory"), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0;

    private long Number(string name) => long.Parse(Get(name), CultureInfo.InvariantCulture);
}
