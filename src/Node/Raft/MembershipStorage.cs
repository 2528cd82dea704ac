using System.Net;
using System.Text;
using DotNext.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace RaftKV.Node.Raft;

/// <summary>
/// DotNext's persistent cluster configuration storage in the data directory (<c>membership.bin</c>): the committed
/// member list with the log index it was committed at (its version), written and fsync'd by DotNext when a
/// configuration entry is applied or arrives with a snapshot. Because the version is stored with the list, a restart
/// that re-applies older configuration entries from the log never brings an older membership back, even briefly.
/// </summary>
/// <remarks>
/// Addresses are encoded as one length byte and the ASCII text of <c>ip:port</c>. Every member encodes and decodes the
/// configuration entries it replicates with this class, so the format is RaftKV's (pinned by MembershipStorageTests).
/// </remarks>
internal sealed class MembershipStorage(string path) : PersistentClusterConfigurationStorage<EndPoint>(path)
{
    public const string FileName = "membership.bin";

    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> writer)
    {
        var text = Encoding.ASCII.GetBytes(address.ToString() ?? string.Empty);
        if (text.Length > byte.MaxValue)
            throw new ArgumentException($"Member address {address} is too long", nameof(address));
        writer.Add((byte)text.Length);
        writer.Write(text);
    }

    protected override EndPoint Decode(ref SequenceReader reader)
    {
        Span<byte> text = stackalloc byte[reader.ReadByte()];
        reader.Read(text);
        return Configuration.EndpointParser.ParseIp(Encoding.ASCII.GetString(text));
    }
}
