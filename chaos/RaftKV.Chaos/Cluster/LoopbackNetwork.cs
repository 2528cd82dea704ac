using System.Globalization;
using System.Net;

namespace RaftKV.Chaos.Cluster;

/// <summary>
/// Nodes on 127.0.0.(11+I) with ports 16379+I (RESP) and 17379+I (Raft), for machines without root.
/// No partitions here: only kill and pause nemeses.
/// </summary>
internal sealed class LoopbackNetwork : INetwork
{
    public string Name => "loopback";

    public bool SupportsPartitions => false;

    public IPAddress AddressOf(int index) => IPAddress.Parse("127.0.0." + (11 + index).ToString(CultureInfo.InvariantCulture));

    public int RespPort(int index) => 16379 + index;

    public int RaftPort(int index) => 17379 + index;

    public void Setup(int nodes)
    {
    }

    public IReadOnlyList<string> ExecPrefix(int index) => [];

    public void Partition(IReadOnlyCollection<(int A, int B)> cuts) =>
        throw new NotSupportedException("partitions need --mode netns");

    public void Heal()
    {
    }

    public void Dispose()
    {
    }
}
