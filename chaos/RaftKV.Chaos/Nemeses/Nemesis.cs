using RaftKV.Chaos.Cluster;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

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
    private readonly List<NodeProcess> _removed = [];
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
                await HealAllAsync(token).ConfigureAwait(false);
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
            case "member":
            {
                // RAFTKV.MEMBER.REMOVE of a random member (the leader one time in three), sent through a random node;
                // the heal puts the same machine back with an empty disk (RAFTKV.MEMBER.ADD), as an operator replaces one.
                var victim = _random.Next(3) == 0 ? await LeaderOrAnyAsync(token).ConfigureAwait(false) : Pick(nodes);
                var reply = await AdminAsync(Pick(nodes), ["RAFTKV.MEMBER.REMOVE", victim.Raft.ToString()], token).ConfigureAwait(false);
                _removed.Add(victim);
                Record(kind, $"removed {victim.Name}: {Describe(reply)}");
                break;
            }
            case "transfer":
            {
                var target = Pick(nodes);
                var reply = await AdminAsync(Pick(nodes), ["RAFTKV.LEADER.TRANSFER", target.Raft.ToString()], token).ConfigureAwait(false);
                Record(kind, $"leadership to {target.Name}: {Describe(reply)}");
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

    /// <summary>
    /// <see cref="HealAll"/>, then puts removed members back: a member the cluster no longer lists is started again with
    /// an empty data directory in Join mode and added (RAFTKV.MEMBER.ADD), until the leader's list has it (up to 2 min).
    /// </summary>
    public async Task HealAllAsync(CancellationToken token)
    {
        HealAll();
        foreach (var node in _removed.Distinct().ToList())
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            var replaced = false;
            while (DateTime.UtcNow < deadline)
            {
                var members = await AdminAsync(await LeaderOrAnyAsync(token).ConfigureAwait(false), ["RAFTKV.MEMBERS"], token).ConfigureAwait(false);
                if (members is { IsError: false } && Mentions(members, node.Raft.ToString()))
                {
                    Record("heal", replaced ? $"{node.Name} is a member again" : $"{node.Name} was not removed");
                    break;
                }

                if (members is { IsError: false } && !replaced)
                {
                    node.StartEmptyToJoin();
                    replaced = true;
                    Record("heal", $"restarted {node.Name} with an empty data directory to join");
                }

                if (replaced)
                {
                    var reply = await AdminAsync(await LeaderOrAnyAsync(token).ConfigureAwait(false),
                        ["RAFTKV.MEMBER.ADD", node.Raft.ToString(), node.Resp.ToString()], token).ConfigureAwait(false);
                    Record("heal", $"add {node.Name}: {Describe(reply)}");
                }

                await Task.Delay(1000, token).ConfigureAwait(false);
            }
        }
        _removed.Clear();
    }

    // A membership command waits up to a minute for its change; the harness waits a little longer.
    private static Task<RespValue?> AdminAsync(NodeProcess node, string[] command, CancellationToken token) =>
        ChaosCluster.QueryAsync(node, command, token, TimeSpan.FromSeconds(90));

    private static bool Mentions(RespValue reply, string text) =>
        reply.Text == text || (reply.Items?.Any(i => Mentions(i, text)) ?? false);

    private static string Describe(RespValue? reply) => reply?.ToString() ?? "no answer";

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
