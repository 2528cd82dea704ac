using System.Globalization;

namespace RaftKV.Chaos.Running;

/// <summary>Command-line options; every loop in a run is bounded by them.</summary>
internal sealed record RunOptions
{
    public static readonly string[] AllNemeses = ["kill", "kill-leader", "kill-majority", "pause", "partition-leader", "partition-half", "partition-ring", "member", "transfer"];
    public static readonly string[] AllWorkloads = ["register", "list-append", "counter", "set", "lock", "redis-lock", "bank"];

    public IReadOnlyList<string> Workloads { get; init; } = ["register"];
    public IReadOnlyList<string> Nemeses { get; init; } = ["kill"];
    public int Nodes { get; init; } = 3;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);
    public int Seed { get; init; } = Environment.TickCount & 0xFFFF;
    public string Mode { get; init; } = "auto";
    public string Out { get; init; } = Path.Combine("chaos", "out");
    public int Clients { get; init; } = 6;
    public int OpsPerClient { get; init; } = 20_000;
    public int OpDelayMs { get; init; } = 10;
    public TimeSpan OpTimeout { get; init; } = TimeSpan.FromSeconds(8);
    public TimeSpan Recovery { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan FaultEvery { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan FaultFor { get; init; } = TimeSpan.FromSeconds(5);
    public string? NodeDll { get; init; }
    public int CommandTimeoutMs { get; init; } = 3000;
    public int SnapshotInterval { get; init; } = 2000;

    /// <summary>For <c>check</c>: re-check a saved history instead of running.</summary>
    public string? History { get; init; }

    public const string Usage = """
        usage: RaftKV.Chaos [run] [options]        run a cluster under faults and check the history
               RaftKV.Chaos check --history FILE --workload LIST   re-check a saved history
          --workload LIST      register,list-append,counter,set,lock,redis-lock,bank (default register)
          --nemesis LIST       kill,kill-leader,kill-majority,pause,partition-leader,partition-half,partition-ring,member,transfer, or none
          --nodes N            3 or 5 (default 3)
          --duration SECONDS   length of the faulty phase (default 60)
          --seed N             seeds ops and the fault schedule (default random, printed)
          --mode MODE          netns (root), loopback, or auto (default: netns when possible)
          --out DIR            output root (default chaos/out); each run gets a subfolder
          --clients N          concurrent clients (default 6)
          --ops N              op budget per client (default 20000)
          --delay MS           mean pause between a client's ops (default 10)
          --fault-every S      quiet time between faults (default 3, randomized +-50%)
          --fault-for S        how long a fault lasts (default 5, randomized +-50%)
          --recovery S         time after the final heal before final reads (default 10)
          --node-dll PATH      RaftKV.Node.dll to run (default: the Release build next to the repository)
          --snapshot-interval N  node setting SnapshotIntervalEntries (default 2000, to exercise snapshots)
        exit code: 0 for VALID, 1 for INVALID, 2 for UNKNOWN, 3 for a harness error
        """;

    public static RunOptions Parse(string[] args)
    {
        var options = new RunOptions();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
            i = 1;
        for (; i < args.Length; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            options = name switch
            {
                "--workload" => options with { Workloads = List(value, AllWorkloads) },
                "--nemesis" => options with { Nemeses = value == "none" ? [] : List(value, AllNemeses) },
                "--nodes" => options with { Nodes = Int(value, 1, 9) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Int(value, 1, 24 * 3600)) },
                "--seed" => options with { Seed = Int(value, 0, int.MaxValue) },
                "--mode" => options with { Mode = value is "netns" or "loopback" or "auto" ? value : throw new ArgumentException("--mode is netns, loopback or auto") },
                "--out" => options with { Out = value },
                "--clients" => options with { Clients = Int(value, 1, 200) },
                "--ops" => options with { OpsPerClient = Int(value, 1, 10_000_000) },
                "--delay" => options with { OpDelayMs = Int(value, 0, 10_000) },
                "--fault-every" => options with { FaultEvery = TimeSpan.FromSeconds(Int(value, 1, 3600)) },
                "--fault-for" => options with { FaultFor = TimeSpan.FromSeconds(Int(value, 1, 3600)) },
                "--recovery" => options with { Recovery = TimeSpan.FromSeconds(Int(value, 1, 3600)) },
                "--node-dll" => options with { NodeDll = value },
                "--snapshot-interval" => options with { SnapshotInterval = Int(value, 10, int.MaxValue) },
                "--history" => options with { History = value },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        return options;
    }

    private static int Int(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"'{value}' is not a number in {min}..{max}");

    private static string[] List(string value, string[] allowed)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        foreach (var item in items)
        {
            if (!allowed.Contains(item))
                throw new ArgumentException($"unknown '{item}'; choose from {string.Join(", ", allowed)}");
        }
        return items.Length > 0 ? items : throw new ArgumentException("empty list");
    }
}
