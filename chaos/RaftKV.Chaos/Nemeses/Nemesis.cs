using RaftKV.Chaos.Cluster;
using RaftKV.Chaos.History;

namespace RaftKV.Chaos.Nemeses;

/// <summary>
/// Injects one fault at a time on a seeded schedule: a quiet spell, a fault chosen among the enabled kinds, a spell
/// under the fault, a heal. Every action is a history event (process -1). <see cref="HealAll"/> is the final heal.
/// </summary>
internal sealed class Nemesis(ChaosCluster cluster, HistoryLog history, IReadOnlyList<string> kinds, int seed, TimeSpan every, TimeSpan lasting)
{
    private readonly Random _random = new(seed);
    private readonly List<NodeProcess> _killed = [];
    private readonly List<NodeProcess> _paused = [];
    private bool _partitioned;

    public int Faults { get; private set; }

    public async Task RunAsync(DateTime deadline, CancellationToken token)
    {
        if (kinds.Count == 0)
            return;
        try
        {
            while (true)
            {
                await SleepUntilAsync(Jitter(every), deadline, token).ConfigureAwait(false);
                if (DateTime.UtcNow >= deadline - TimeSpan.FromSeconds(1))
                    return;
                await InjectAsync(kinds[_random.Next(kinds.Count)], token).ConfigureAwait(false);
                await SleepUntilAsync(Jitter(lasting), deadline, token).ConfigureAwait(false);
                HealAll();
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: the caller heals and tears down.
        }
    }

    private TimeSpan Jitter(TimeSpan mean) => mean * (0.5 + _random.NextDouble());

    private static async Task SleepUntilAsync(TimeSpan delay, DateTime deadline, CancellationToken token)
    {
        var until = DateTime.UtcNow + delay;
        if (until > deadline)
            until = deadline;
        var wait = until - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, token).ConfigureAwait(false);
    }

    private async Task InjectAsync(string kind, CancellationToken token)
    {
        var nodes = cluster.Nodes;
        switch (kind)
        {
            case "kill":
                Kill(kind, [Pick(nodes)]);
                break;
            case "kill-leader":
                Kill(kind, [await LeaderOrAnyAsync(token).ConfigureAwait(false)]);
                break;
            case "kill-majority":
                Kill(kind, Shuffle(nodes).Take(nodes.Count / 2 + 1).ToArray());
                break;
            case "pause":
            {
                var node = _random.Next(2) == 0 ? await LeaderOrAnyAsync(token).ConfigureAwait(false) : Pick(nodes);
                node.Pause();
                _paused.Add(node);
                Record(kind, $"paused {node.Name} (SIGSTOP)");
                break;
            }
            case "partition-leader":
            {
                var leader = await LeaderOrAnyAsync(token).ConfigureAwait(false);
                Partition(kind, Partitions.Isolate(leader.Index, nodes.Count), $"isolated {leader.Name}");
                break;
            }
            case "partition-half":
            {
                var order = Shuffle(nodes).Select(n => n.Index).ToArray();
                var minority = order.Take(nodes.Count / 2).ToArray();
                Partition(kind, Partitions.Split(minority, nodes.Count), "minority " + string.Join(",", minority.Select(i => nodes[i].Name)));
                break;
            }
            case "partition-ring":
            {
                var order = Shuffle(nodes).Select(n => n.Index).ToArray();
                var cuts = Partitions.Ring(order);
                Partition(kind, cuts, "cut " + string.Join(" ", cuts.Select(c => nodes[c.A].Name + "-" + nodes[c.B].Name)));
                break;
            }
            default:
                throw new ArgumentException($"unknown nemesis {kind}");
        }
        Faults++;
    }

    private void Kill(string kind, IReadOnlyList<NodeProcess> victims)
    {
        foreach (var node in victims)
        {
            node.Resume();
            node.Kill();
            _killed.Add(node);
        }
        Record(kind, "killed " + string.Join(",", victims.Select(v => v.Name)) + " (SIGKILL)");
    }

    private void Partition(string kind, IReadOnlyCollection<(int A, int B)> cuts, string what)
    {
        cluster.Network.Partition(cuts);
        _partitioned = true;
        Record(kind, what);
    }

    /// <summary>Resumes paused nodes, restarts killed ones, removes partitions.</summary>
    public void HealAll()
    {
        var done = new List<string>();
        foreach (var node in _paused)
        {
            node.Resume();
            done.Add("resumed " + node.Name);
        }
        _paused.Clear();
        foreach (var node in _killed.Distinct())
        {
            node.Start();
            done.Add("restarted " + node.Name);
        }
        _killed.Clear();
        if (_partitioned)
        {
            cluster.Network.Heal();
            done.Add("healed the network");
            _partitioned = false;
        }
        if (done.Count > 0)
            Record("heal", string.Join(", ", done));
    }

    private async Task<NodeProcess> LeaderOrAnyAsync(CancellationToken token) =>
        await cluster.FindLeaderAsync(token).ConfigureAwait(false) ?? Pick(cluster.Nodes);

    private NodeProcess Pick(IReadOnlyList<NodeProcess> nodes) => nodes[_random.Next(nodes.Count)];

    private NodeProcess[] Shuffle(IReadOnlyList<NodeProcess> nodes)
    {
        var copy = nodes.ToArray();
        _random.Shuffle(copy);
        return copy;
    }

    private void Record(string f, string note) =>
        history.Append(new Op { Process = Op.NemesisProcess, Type = OpType.Info, F = f, Note = note });
}
