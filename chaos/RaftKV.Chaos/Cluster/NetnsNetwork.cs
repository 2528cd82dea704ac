using System.Globalization;
using System.Net;

namespace RaftKV.Chaos.Cluster;

/// <summary>
/// One network namespace per node (<c>rkvc-nI</c>), each with a veth pair into the bridge <c>rkvc-br0</c>
/// (10.77.0.1/24 on the harness's side; node I is 10.77.0.(11+I)). Partitions are iptables INPUT drops inside
/// the namespaces, so the harness in the root namespace still reaches every node, as Jepsen's clients do.
/// Everything carries the <c>rkvc-</c> prefix so a later run can remove a crashed run's leftovers.
/// </summary>
internal sealed class NetnsNetwork : INetwork
{
    public const string Prefix = "rkvc-";
    private const string Bridge = Prefix + "br0";
    private const string Subnet = "10.77.0.";
    private int _nodes;
    private readonly string _iptables;

    public NetnsNetwork()
    {
        // The nft backend works inside namespaces on current kernels; iptables-legacy is the fallback.
        _iptables = Shell.Run("iptables", "-w", "-L", "-n").Code == 0 ? "iptables" : "iptables-legacy";
    }

    public string Name => "netns";

    public bool SupportsPartitions => true;

    public IPAddress AddressOf(int index) => IPAddress.Parse(Subnet + (11 + index).ToString(CultureInfo.InvariantCulture));

    public int RespPort(int index) => 6379;

    public int RaftPort(int index) => 7379;

    public int GrpcPort(int index) => 50051;

    private static string Namespace(int index) => Prefix + "n" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when this machine can run namespaces (root, iproute2 with netns, iptables).</summary>
    public static bool IsAvailable(out string reason)
    {
        const string probe = Prefix + "probe";
        try
        {
            Shell.Run("ip", "netns", "del", probe);
            var (code, output) = Shell.Run("ip", "netns", "add", probe);
            if (code != 0)
            {
                reason = "ip netns add failed: " + output.Trim();
                return false;
            }
            var ok = Shell.Run("ip", "netns", "exec", probe, "iptables", "-w", "-L", "-n").Code == 0
                     || Shell.Run("ip", "netns", "exec", probe, "iptables-legacy", "-w", "-L", "-n").Code == 0;
            Shell.Run("ip", "netns", "del", probe);
            reason = ok ? "" : "iptables does not work inside a namespace";
            return ok;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Kills processes left in our namespaces and deletes the namespaces and the bridge.</summary>
    public static void RemoveLeftovers()
    {
        (int Code, string Output) listing;
        try
        {
            listing = Shell.Run("ip", "netns", "list");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return; // no iproute2: there can be nothing of ours to remove
        }
        var (code, list) = listing;
        if (code != 0)
            return;
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = line.Split(' ')[0];
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            var (_, pids) = Shell.Run("ip", "netns", "pids", name);
            foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                    Shell.Signal(p, "KILL");
            }
            Shell.Run("ip", "netns", "del", name);
        }
        Shell.Run("ip", "link", "del", Bridge);
        RemoveVeths();
    }

    /// <summary>
    /// Deletes our veths' root-side ends. Deleting a namespace only unmounts it: the kernel destroys it, and the
    /// veth pairs with it, later, so a run started right after another found <c>rkvc-v1</c> still there
    /// ("File exists", seeds 502-505 on 2026-11-24). Deleting a link is synchronous; wait until none is left.
    /// </summary>
    private static void RemoveVeths()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var veths = Shell.Run("ip", "-o", "link", "show").Output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(':', 3) is [_, var n, _] ? n.Trim().Split('@')[0] : "")
                .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
                .ToArray();
            if (veths.Length == 0 || DateTime.UtcNow > deadline)
                return;
            foreach (var veth in veths)
                Shell.Run("ip", "link", "del", veth);
            Thread.Sleep(100);
        }
    }

    public void Setup(int nodes)
    {
        RemoveLeftovers();
        _nodes = nodes;
        Shell.Must("ip", "link", "add", Bridge, "type", "bridge");
        Shell.Must("ip", "addr", "add", Subnet + "1/24", "dev", Bridge);
        Shell.Must("ip", "link", "set", Bridge, "up");
        for (var i = 0; i < nodes; i++)
        {
            var ns = Namespace(i);
            var veth = Prefix + "v" + i.ToString(CultureInfo.InvariantCulture);
            Shell.Must("ip", "netns", "add", ns);
            Shell.Must("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
            Shell.Must("ip", "link", "set", veth, "master", Bridge, "up");
            Shell.Must("ip", "netns", "exec", ns, "ip", "addr", "add", AddressOf(i) + "/24", "dev", "eth0");
            Shell.Must("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
            Shell.Must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        }
    }

    public IReadOnlyList<string> ExecPrefix(int index) => ["ip", "netns", "exec", Namespace(index)];

    public void Partition(IReadOnlyCollection<(int A, int B)> cuts)
    {
        Heal();
        foreach (var (a, b) in cuts)
        {
            Shell.Must("ip", "netns", "exec", Namespace(a), _iptables, "-w", "-A", "INPUT", "-s", AddressOf(b).ToString(), "-j", "DROP");
            Shell.Must("ip", "netns", "exec", Namespace(b), _iptables, "-w", "-A", "INPUT", "-s", AddressOf(a).ToString(), "-j", "DROP");
        }
    }

    public void Heal()
    {
        for (var i = 0; i < _nodes; i++)
            Shell.Run("ip", "netns", "exec", Namespace(i), _iptables, "-w", "-F", "INPUT");
    }

    public void Dispose() => RemoveLeftovers();
}
