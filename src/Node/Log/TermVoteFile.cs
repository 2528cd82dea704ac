using System.Buffers.Binary;
using System.IO.Hashing;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Log;

/// <summary>
/// The node's current term and vote, in one small file replaced atomically: written to <c>term.tmp</c>, fsync'd, renamed
/// over <c>term</c>, the folder fsync'd, all before <see cref="Save"/> returns (so before the vote or term change is
/// acknowledged to anyone). A crash leaves either the old file or the new one; a leftover <c>term.tmp</c> was never
/// published and is deleted at <see cref="Load"/>.
/// <para>
/// Format (little-endian): <c>[u32 magic][u16 version][u16 vote length][i64 term][vote bytes][u64 XxHash64 of all before]</c>.
/// The vote is opaque here (the Raft layer stores <c>ClusterMemberId.Format</c>'s bytes); empty means no vote.
/// </para>
/// </summary>
internal sealed class TermVoteFile(string directory)
{
    public const int MaxVoteLength = 256;

    private const uint Magic = 0x544B5652; // "RVKT"
    private const ushort Version = 1;
    private const int HeaderSize = 16;

    private readonly string _path = Path.Combine(directory, "term");
    private readonly string _temporary = Path.Combine(directory, "term.tmp");
    private long _saves;

    /// <summary>Saves made by this instance.</summary>
    public long Saves => Interlocked.Read(ref _saves);

    /// <summary>The saved term and vote; term 0 and no vote when nothing was ever saved.</summary>
    /// <exception cref="LogCorruptedException">The published file is damaged (it was synced before it was published).</exception>
    public (long Term, byte[] Vote) Load()
    {
        File.Delete(_temporary);
        if (!File.Exists(_path))
            return (0, []);

        var bytes = File.ReadAllBytes(_path);
        if (bytes.Length < HeaderSize + sizeof(ulong)
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)) != Version)
            throw new LogCorruptedException($"{_path} is not a term file this node writes");
        var voteLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6));
        var checksummed = HeaderSize + voteLength;
        if (voteLength > MaxVoteLength || bytes.Length != checksummed + sizeof(ulong)
            || BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(checksummed)) != XxHash64.HashToUInt64(bytes.AsSpan(0, checksummed)))
            throw new LogCorruptedException($"{_path} is damaged: the node's term and vote are unknown");
        var term = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        return term >= 0 ? (term, bytes.AsSpan(HeaderSize, voteLength).ToArray()) : throw new LogCorruptedException($"{_path} holds term {term}");
    }

    /// <summary>Saves <paramref name="term"/> and <paramref name="vote"/> (empty: no vote); durable when this returns.</summary>
    public void Save(long term, ReadOnlySpan<byte> vote)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vote.Length, MaxVoteLength);
        var bytes = new byte[HeaderSize + vote.Length + sizeof(ulong)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)vote.Length);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), term);
        vote.CopyTo(bytes.AsSpan(HeaderSize));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(HeaderSize + vote.Length), XxHash64.HashToUInt64(bytes.AsSpan(0, HeaderSize + vote.Length)));

        using (var file = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        DurableFiles.Publish(_temporary, _path);
        Interlocked.Increment(ref _saves);
    }
}
