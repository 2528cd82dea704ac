using System.Net;

namespace RaftKV.Chaos.Cluster;

/// <summary>Where the nodes live and how they are cut apart: network namespaces, or plain loopback.</summary>
internal interface INetwork : IDisposable
{
    string Name { get; }

    bool SupportsPartitions { get; }

    /// <summary>The address node <paramref name="index"/> binds to and clients connect to.</summary>
    IPAddress AddressOf(int index);

    int RespPort(int index);

    int RaftPort(int index);

    /// <summary>The node's gRPC port (the watcher of the register keys streams from it).</summary>
    int GrpcPort(int index);

    /// <summary>Removes what an earlier (crashed) run left behind, then creates the hosts.</summary>
    void Setup(int nodes);

    /// <summary>The command line prefix that runs a program on node <paramref name="index"/>'s host.</summary>
    IReadOnlyList<string> ExecPrefix(int index);

    /// <summary>Cuts every listed link in both directions (replacing any earlier cut).</summary>
    void Partition(IReadOnlyCollection<(int A, int B)> cuts);

    /// <summary>Restores full connectivity.</summary>
    void Heal();
}
