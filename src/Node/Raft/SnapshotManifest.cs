using System.Buffers.Binary;
using System.Text;

namespace RaftKV.Node.Raft;

/// <summary>
/// What a leader sends in DotNext's InstallSnapshot instead of a large snapshot: where the follower can download it.
/// DotNext bounds the whole InstallSnapshot exchange (transfer, fsync, load) by the Raft request timeout, which must
/// stay below the election timeout; a snapshot that does not fit in it was re-sent forever. The manifest always fits;
/// the file itself travels over HTTP (<see cref="SnapshotOffers"/>, <see cref="SnapshotDownloader"/>), with no deadline
/// but progress, and resumes where a broken transfer stopped.
/// <para>
/// Layout (little-endian): magic <c>RKVSNAPM</c>, version byte 2, index, term, file length (8 bytes each), URL length
/// (2 bytes) and the URL in UTF-8, then the token's length (1 byte) and the token in ASCII. The magic differs from a
/// snapshot file's, so a follower tells the two apart by the first eight bytes. Version 1 (no token) is still read.
/// </para>
/// <para>
/// <see cref="Token"/> is the member proof for the file (<see cref="Security.MemberProof.ForSnapshot"/>), which the
/// downloader presents: the manifest travels over Raft, among members only, and the follower needs no secret of its own.
/// </para>
/// </summary>
internal sealed record SnapshotManifest(long Index, long Term, long Length, string Url, string Token = "")
{
    private const byte Version = 2;
    private const byte UntokenedVersion = 1;
    private const int HeaderSize = 8 + 1 + (3 * sizeof(long)) + sizeof(ushort);
    private const int MaxUrlBytes = 1024;
    private const int MaxTokenBytes = 255;
    private static ReadOnlySpan<byte> Magic => "RKVSNAPM"u8;

    /// <summary>The largest encoded manifest: a received payload longer than this is a snapshot, not a manifest.</summary>
    public const int MaxSize = HeaderSize + MaxUrlBytes + 1 + MaxTokenBytes;

    /// <summary>
    /// True when both describe the same snapshot file, wherever it is offered: a snapshot's bytes are a function of
    /// the log up to its index, so any node's file for the same index and term is the same file.
    /// </summary>
    public bool Describes(SnapshotManifest other) => Index == other.Index && Term == other.Term && Length == other.Length;

    /// <summary>Without the token, which is a credential and stays out of logs.</summary>
    public override string ToString() => $"snapshot {Index}, term {Term} ({Length} bytes) at {Url}";

    public byte[] Encode()
    {
        var url = Encoding.UTF8.GetBytes(Url);
        if (url.Length > MaxUrlBytes)
            throw new ArgumentException($"The snapshot URL is longer than {MaxUrlBytes} bytes", nameof(Url));
        var token = Encoding.ASCII.GetBytes(Token);
        if (token.Length > MaxTokenBytes)
            throw new ArgumentException($"The snapshot token is longer than {MaxTokenBytes} bytes", nameof(Token));

        var bytes = new byte[HeaderSize + url.Length + 1 + token.Length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[8] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], Index);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], Term);
        BinaryPrimitives.WriteInt64LittleEndian(span[25..], Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[33..], (ushort)url.Length);
        url.CopyTo(span[HeaderSize..]);
        span[HeaderSize + url.Length] = (byte)token.Length;
        token.CopyTo(span[(HeaderSize + url.Length + 1)..]);
        return bytes;
    }

    /// <summary>True when <paramref name="bytes"/> starts like a manifest (whatever follows).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Magic);

    /// <summary>Decodes a whole manifest; throws <see cref="InvalidDataException"/> when it is not a valid one.</summary>
    public static SnapshotManifest Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || !HasMagic(bytes))
            throw new InvalidDataException("Not a snapshot manifest");
        if (bytes[8] is not (Version or UntokenedVersion))
            throw new InvalidDataException($"Unknown snapshot manifest version {bytes[8]}");

        var index = BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]);
        var term = BinaryPrimitives.ReadInt64LittleEndian(bytes[17..]);
        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes[25..]);
        var urlLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[33..]);
        if (index < 0 || term < 0 || length <= 0 || urlLength > MaxUrlBytes || bytes.Length < HeaderSize + urlLength)
            throw new InvalidDataException("Corrupted snapshot manifest");

        var tokenAt = HeaderSize + urlLength;
        var token = string.Empty;
        if (bytes[8] == UntokenedVersion)
        {
            if (bytes.Length != tokenAt)
                throw new InvalidDataException("Corrupted snapshot manifest");
        }
        else
        {
            if (bytes.Length <= tokenAt || bytes.Length != tokenAt + 1 + bytes[tokenAt] || !Ascii.IsValid(bytes[(tokenAt + 1)..]))
                throw new InvalidDataException("Corrupted snapshot manifest");
            token = Encoding.ASCII.GetString(bytes[(tokenAt + 1)..]);
        }

        var url = Encoding.UTF8.GetString(bytes.Slice(HeaderSize, urlLength));
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? new SnapshotManifest(index, term, length, url, token)
            : throw new InvalidDataException("The snapshot manifest's URL is not an http or https URL");
    }
}

/// <summary>
/// A follower cannot install the leader's snapshot yet: it is still downloading it. Fails the InstallSnapshot request
/// (DotNext closes the connection and the leader retries at its next heartbeat); nothing on this node changed.
/// </summary>
internal sealed class SnapshotTransferPendingException(SnapshotManifest manifest, string progress)
    : IOException($"Snapshot {manifest.Index}, term {manifest.Term} is being downloaded from {manifest.Url} ({progress}); install it later");
