using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;

namespace RaftKV.Node.Log;

/// <summary>
/// An entry of <see cref="RaftLog"/> as DotNext's replication sees it: a record read from the log (its payload owned by
/// the read), or only its index and term for a metadata read (term lookups).
/// </summary>
internal sealed class StoredEntry : IRaftLogEntry
{
    private readonly ReadOnlyMemory<byte> _payload;

    public StoredEntry(LogRecord record)
    {
        Index = record.Index;
        Term = record.Term;
        IsConfiguration = record.IsConfiguration;
        CommandId = record.CommandId;
        _payload = record.Payload;
    }

    private StoredEntry(long index, long term)
    {
        Index = index;
        Term = term;
    }

    /// <summary>An entry that carries only its index and term (a metadata-only read).</summary>
    public static StoredEntry Metadata(long index, long term) => new(index, term);

    public long Index { get; }

    public long Term { get; }

    public bool IsConfiguration { get; }

    public int? CommandId { get; }

    public bool IsSnapshot => false;

    public bool IsReusable => true;

    public long? Length => _payload.Length;

    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch;

    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = _payload;
        return true;
    }

    public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
        => writer.WriteAsync(_payload, null, token);
}
