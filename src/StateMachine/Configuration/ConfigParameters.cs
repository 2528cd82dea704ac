using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace RaftKV.StateMachine.Configuration;

/// <summary>
/// Redis 7.0's runtime parameters (config.c's table: names, aliases, defaults, types, bounds), with RaftKV's
/// scope for each. Effect in RaftKV: the encoding thresholds (hash-max-listpack-*, zset-max-listpack-*,
/// set-max-intset-entries) decide the representation the data types choose, as OBJECT ENCODING shows;
/// notify-keyspace-events turns keyspace notifications on (Keyspace.KeyspaceNotifier); slowlog-log-slower-than and
/// slowlog-max-len drive each node's SLOWLOG, latency-monitor-threshold its latency monitor. The other replicated
/// parameters are kept and reported, and take effect as their features arrive; those with no meaning in a Raft store
/// (save, appendonly, appendfsync, rdbcompression, activerehashing, activedefrag, hz,
/// ...) are accepted,
/// replicated and reported, and change nothing. Defaults are redis-server 7.0.15's built-in ones (no config file),
/// except where RaftKV's nature gives another answer: appendonly yes and appendfsync always (every write is
/// fsync'd in the Raft log), save "" (no RDB), databases 1.
/// </summary>
public static class ConfigParameters
{
    private const long IntMax = int.MaxValue;
    private const long IntMin = int.MinValue;
    private const ConfigScope Fixed = ConfigScope.Immutable;
    private const ConfigScope NodeOwn = ConfigScope.Node;

    /// <summary>The replicated switch behind DEBUG SET-DISABLE-DENY-SCRIPTS (hidden: found by its exact name only).
    /// Declared before the table: static fields initialise in text order.</summary>
    public static readonly ConfigParameter DebugDisableDenyScripts = Bool("debug-disable-deny-scripts", false, hidden: true);

    private static readonly string[] YesNoLocal = ["no", "yes", "local"];

    private static readonly ConfigParameter[] Table =
    [
        // Encodings: these drive the representations the data types choose.
        Int("hash-max-listpack-entries", "hash-max-ziplist-entries", 512),
        Mem("hash-max-listpack-value", "hash-max-ziplist-value", 64),
        Int("zset-max-listpack-entries", "zset-max-ziplist-entries", 128),
        Mem("zset-max-listpack-value", "zset-max-ziplist-value", 64),
        Int("set-max-intset-entries", null, 512),
        Int("list-max-listpack-size", "list-max-ziplist-size", -2, IntMin, IntMax),
        Int("list-compress-depth", null, 0, 0, IntMax),
        Mem("hll-sparse-max-bytes", null, 3000),
        Mem("stream-node-max-bytes", null, 4096),
        Int("stream-node-max-entries", null, 100),

        // Limits and behaviour.
        Mem("proto-max-bulk-len", null, 512L * 1024 * 1024, 1024 * 1024),
        Int("timeout", null, 0, 0, IntMax),
        Int("busy-reply-threshold", "lua-time-limit", 5000),
        new("notify-keyspace-events", null, ConfigKind.KeyspaceEvents, ""),
        Mem("maxmemory", null, 0),
        Enum("maxmemory-policy", "noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
        Int("maxmemory-samples", null, 5, 1, IntMax),
        Int("maxmemory-eviction-tenacity", null, 10, 0, 100),
        new("maxmemory-clients", null, ConfigKind.MemoryOrPercent, "0", Min: -100),
        Int("maxclients", null, 10000, 1, uint.MaxValue),
        Int("lfu-log-factor", null, 10, 0, IntMax),
        Int("lfu-decay-time", null, 1, 0, IntMax),
        Bool("lazyfree-lazy-eviction", false),
        Bool("lazyfree-lazy-expire", false),
        Bool("lazyfree-lazy-server-del", false),
        Bool("lazyfree-lazy-user-del", false),
        Bool("lazyfree-lazy-user-flush", false),
        Bool("latency-tracking", true),
        new("latency-tracking-info-percentiles", null, ConfigKind.Text, "50 99 99.9"),
        Int("active-expire-effort", null, 1, 1, 10),
        Int("tracking-table-max-keys", null, 1000000),
        Mem("client-query-buffer-limit", null, 1024L * 1024 * 1024, 1024 * 1024),
        new("client-output-buffer-limit", null, ConfigKind.Text, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        Int("tcp-keepalive", null, 300, 0, IntMax),
        Bool("protected-mode", true),
        Enum("acl-pubsub-default", "resetchannels", "allchannels", "resetchannels"),
        Int("acllog-max-len", null, 128),
        Enum("sanitize-dump-payload", "no", "no", "yes", "clients"),
        Enum("propagation-error-behavior", "ignore", "ignore", "panic", "panic-on-replicas"),
        Enum("loglevel", "notice", "debug", "verbose", "notice", "warning"),
        Int("shutdown-timeout", null, 10, 0, IntMax),
        EnumFlags("shutdown-on-sigint", "default", "default", "save", "nosave", "now", "force"),
        EnumFlags("shutdown-on-sigterm", "default", "default", "save", "nosave", "now", "force"),
        new("requirepass", null, ConfigKind.Text, ""),

        // No meaning in a Raft store: accepted, replicated, reported, no effect.
        new("save", null, ConfigKind.Save, ""),
        Bool("appendonly", true),
        Enum("appendfsync", "always", "everysec", "always", "no"),
        Bool("rdbcompression", true),
        Bool("rdb-del-sync-files", false),
        Bool("stop-writes-on-bgsave-error", true),
        Bool("rdb-save-incremental-fsync", true),
        Bool("aof-rewrite-incremental-fsync", true),
        Bool("no-appendfsync-on-rewrite", false),
        Bool("aof-load-truncated", true),
        Bool("aof-use-rdb-preamble", true),
        Bool("aof-timestamp-enabled", false),
        Bool("aof-disable-auto-gc", false),
        Int("auto-aof-rewrite-percentage", null, 100, 0, IntMax),
        Mem("auto-aof-rewrite-min-size", null, 64L * 1024 * 1024),
        new("dbfilename", null, ConfigKind.Text, "dump.rdb"),
        Bool("activerehashing", true),
        Bool("activedefrag", false),
        Int("active-defrag-cycle-min", null, 1, 1, 99),
        Int("active-defrag-cycle-max", null, 25, 1, 99),
        Int("active-defrag-threshold-lower", null, 10, 0, 1000),
        Int("active-defrag-threshold-upper", null, 100, 0, 1000),
        Mem("active-defrag-ignore-bytes", null, 100L << 20, 1),
        Int("active-defrag-max-scan-fields", null, 1000, 1),
        Bool("jemalloc-bg-thread", true),
        Int("hz", null, 10, 0, IntMax),
        Bool("dynamic-hz", true),
        Int("latency-monitor-threshold", null, 0),
        Int("slowlog-log-slower-than", null, 10000, -1),
        Int("slowlog-max-len", null, 128),
        Bool("crash-log-enabled", true),
        Bool("crash-memcheck-enabled", true),
        Enum("oom-score-adj", "no", "no", "yes", "relative", "absolute"),
        new("oom-score-adj-values", null, ConfigKind.Text, "0 200 800"),
        new("ignore-warnings", null, ConfigKind.Text, ""),
        new("proc-title-template", null, ConfigKind.Text, "{title} {listen-addr} {server-mode}"),
        Bool("replica-serve-stale-data", true, "slave-serve-stale-data"),
        Bool("replica-read-only", true, "slave-read-only"),
        Bool("replica-lazy-flush", false, "slave-lazy-flush"),
        Bool("replica-ignore-maxmemory", true, "slave-ignore-maxmemory"),
        Bool("replica-announced", true),
        Int("replica-priority", "slave-priority", 100, 0, IntMax),
        Int("replica-announce-port", "slave-announce-port", 0, 0, 65535),
        new("replica-announce-ip", "slave-announce-ip", ConfigKind.Text, ""),
        Bool("replica-ignore-disk-write-errors", false),
        Int("min-replicas-to-write", "min-slaves-to-write", 0, 0, IntMax),
        Int("min-replicas-max-lag", "min-slaves-max-lag", 10, 0, IntMax),
        Mem("repl-backlog-size", null, 1024 * 1024, 1),
        Int("repl-backlog-ttl", null, 3600),
        Int("repl-timeout", null, 60, 1, IntMax),
        Int("repl-ping-replica-period", "repl-ping-slave-period", 10, 1, IntMax),
        Bool("repl-diskless-sync", true),
        Int("repl-diskless-sync-delay", null, 5, 0, IntMax),
        Int("repl-diskless-sync-max-replicas", null, 0, 0, IntMax),
        Enum("repl-diskless-load", "disabled", "disabled", "on-empty-db", "swapdb"),
        Bool("repl-disable-tcp-nodelay", false),
        new("masterauth", null, ConfigKind.Text, ""),
        new("masteruser", null, ConfigKind.Text, ""),
        Int("cluster-node-timeout", null, 15000),
        Bool("cluster-require-full-coverage", true),
        Bool("cluster-replica-no-failover", false, "cluster-slave-no-failover"),
        Bool("cluster-allow-reads-when-down", false),
        Bool("cluster-allow-pubsubshard-when-down", true),
        Bool("cluster-allow-replica-migration", true),
        Int("cluster-migration-barrier", null, 1, 0, IntMax),
        Int("cluster-replica-validity-factor", "cluster-slave-validity-factor", 10, 0, IntMax),
        Mem("cluster-link-sendbuf-limit", null, 0),
        Enum("cluster-preferred-endpoint-type", "ip", "ip", "hostname", "unknown-endpoint"),
        new("cluster-announce-ip", null, ConfigKind.Text, ""),
        new("cluster-announce-hostname", null, ConfigKind.Text, ""),
        Int("cluster-announce-port", null, 0, 0, 65535),
        Int("cluster-announce-bus-port", null, 0, 0, 65535),
        Int("cluster-announce-tls-port", null, 0, 0, 65535),
        new("bind-source-addr", null, ConfigKind.Text, ""),
        Int("rdb-key-save-delay", null, 0, IntMin, IntMax, hidden: true),
        Int("key-load-delay", null, 0, IntMin, IntMax, hidden: true),
        Int("watchdog-period", null, 0, 0, IntMax, hidden: true),
        Bool("use-exit-on-panic", false, hidden: true),
        // Not a Redis parameter: DEBUG SET-DISABLE-DENY-SCRIPTS sets it (through the log: scripts run on every replica).
        DebugDisableDenyScripts,
        Int("loading-process-events-interval-bytes", null, 2 * 1024 * 1024, 1024, IntMax, hidden: true),

        // This node's own settings (from its configuration files): reported by the node, not set at runtime.
        new("port", null, ConfigKind.Integer, "6379", NodeOwn, 0, 65535),
        new("bind", null, ConfigKind.Text, "127.0.0.1", NodeOwn),
        new("dir", null, ConfigKind.Text, "", NodeOwn),

        // Fixed, as in Redis (immutable there too) or by RaftKV's design.
        new("databases", null, ConfigKind.Integer, "1", Fixed, 1, IntMax),
        new("daemonize", null, ConfigKind.Bool, "no", Fixed),
        new("cluster-enabled", null, ConfigKind.Bool, "no", Fixed),
        new("replicaof", "slaveof", ConfigKind.Text, "", Fixed),
        new("io-threads", null, ConfigKind.Integer, "1", Fixed, 1, 128),
        new("io-threads-do-reads", null, ConfigKind.Bool, "no", Fixed),
        new("rdbchecksum", null, ConfigKind.Bool, "yes", Fixed),
        new("always-show-logo", null, ConfigKind.Bool, "no", Fixed),
        new("set-proc-title", null, ConfigKind.Bool, "yes", Fixed),
        new("syslog-enabled", null, ConfigKind.Bool, "no", Fixed),
        new("disable-thp", null, ConfigKind.Bool, "yes", Fixed),
        new("tcp-backlog", null, ConfigKind.Integer, "511", Fixed, 0, IntMax),
        new("unixsocket", null, ConfigKind.Text, "", Fixed),
        new("unixsocketperm", null, ConfigKind.Integer, "0", Fixed),
        new("pidfile", null, ConfigKind.Text, "", Fixed),
        new("logfile", null, ConfigKind.Text, "", Fixed),
        new("aclfile", null, ConfigKind.Text, "", Fixed),
        new("appendfilename", null, ConfigKind.Text, "appendonly.aof", Fixed),
        new("appenddirname", null, ConfigKind.Text, "appendonlydir", Fixed),
        new("cluster-config-file", null, ConfigKind.Text, "nodes.conf", Fixed),
        new("cluster-port", null, ConfigKind.Integer, "0", Fixed, 0, 65535),
        new("supervised", null, ConfigKind.Enum, "no", Fixed),
        new("enable-protected-configs", null, ConfigKind.Enum, "no", Fixed, Choices: YesNoLocal),
        new("enable-debug-command", null, ConfigKind.Enum, "yes", Fixed, Choices: YesNoLocal),
        new("enable-module-command", null, ConfigKind.Enum, "no", Fixed, Choices: YesNoLocal),
    ];

    private static readonly FrozenDictionary<string, ConfigParameter> ByName = BuildIndex();

    /// <summary>Every parameter once, by ordinal name.</summary>
    public static IReadOnlyList<ConfigParameter> All { get; } =
        Array.AsReadOnly(Table.OrderBy(static p => p.Name, StringComparer.Ordinal).ToArray());

    /// <summary>Every name CONFIG GET patterns match against, aliases included, with its parameter, in ordinal order.</summary>
    public static IReadOnlyList<KeyValuePair<string, ConfigParameter>> Names { get; } =
        Array.AsReadOnly(ByName.OrderBy(static e => e.Key, StringComparer.Ordinal).ToArray());

    /// <summary>Finds a parameter by its name or alias, ASCII case-insensitive, as Redis's lookupConfig.</summary>
    public static bool TryFind(string name, [MaybeNullWhen(false)] out ConfigParameter parameter) =>
        ByName.TryGetValue(name.ToLowerInvariant(), out parameter);

    private static FrozenDictionary<string, ConfigParameter> BuildIndex()
    {
        var index = new Dictionary<string, ConfigParameter>(StringComparer.Ordinal);
        foreach (var parameter in Table)
        {
            index.Add(parameter.Name, parameter);
            if (parameter.Alias is not null)
            {
                index.Add(parameter.Alias, parameter);
            }
        }

        return index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static ConfigParameter Int(string name, string? alias, long value, long min = 0, long max = long.MaxValue, bool hidden = false) =>
        new(name, alias, ConfigKind.Integer, Text(value), ConfigScope.Replicated, min, max, Hidden: hidden);

    private static ConfigParameter Mem(string name, string? alias, long value, long min = 0) =>
        new(name, alias, ConfigKind.Memory, Text(value), ConfigScope.Replicated, min);

    private static ConfigParameter Bool(string name, bool value, string? alias = null, bool hidden = false) =>
        new(name, alias, ConfigKind.Bool, value ? "yes" : "no", Hidden: hidden);

    private static ConfigParameter Enum(string name, string value, params string[] choices) =>
        new(name, null, ConfigKind.Enum, value, Choices: choices);

    private static ConfigParameter EnumFlags(string name, string value, params string[] choices) =>
        new(name, null, ConfigKind.EnumFlags, value, Choices: choices);

    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
