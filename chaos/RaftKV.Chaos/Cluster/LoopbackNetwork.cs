using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RaftKV.Chaos.Cluster;

/// <summary>
/// Nodes on 127.0.0.(11+I) with ports 26379+I (RESP) and 27379+I (Raft), for machines without root.
/// No partitions here: only kill and pause nemeses. The ports are shared with the whole machine, so Setup checks
/// that they are free: a run once talked to an unrelated redis-server listening on 0.0.0.0 and (rightly) judged
/// its replies not linearizable.
/// </summary>
internal sealed class LoopbackNetwork : INetwork
{
    public string Name => "loopback";

    public bool SupportsPartitions => false;

    public IPAddress AddressOf(int index) => IPAddress.Parse("127.0.0." + (11 + index).ToString(CultureInfo.InvariantCulture));

    public int RespPort(int index) => 26379 + index;

    public int RaftPort(int index) => 27379 + index;

    public int GrpcPort(int index) => 25379 + index;

    public void Setup(int nodes)
    {
        for (var i = 0; i < nodes; i++)
        {
            foreach (var port in new[] { RespPort(i), RaftPort(i), GrpcPort(i) })
            {
                try
                {
                    var listener = new TcpListener(AddressOf(i), port);
                    listener.Start();
                    listener.Stop();
                }
                catch (SocketException e)
                {
                    throw new InvalidOperationException($"{AddressOf(i)}:{port} is not free ({e.Message}); stop what listens there or use --mode netns", e);
                }
            }
        }
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
