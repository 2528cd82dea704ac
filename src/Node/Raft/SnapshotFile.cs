using System.Globalization;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace RaftKV.Node.Raft;

/// <summary>
/// A published snapshot: a complete, fsync'd file named <c>index-term</c> in the snapshots folder (the naming DotNext's
/// SimpleStateMachine used, so data directories written before carry over). What the write-ahead log compacts up to
/// and sends to lagging followers (InstallSnapshot).
/// </summary>
internal sealed class SnapshotFile : ISnapshot
{
    private readonly SnapshotOffers? _offers;
    private readonly Lock _gate = new();
    private bool _decided;
    private byte[]? _manifest;

    public SnapshotFile(FileInfo file, long index, long term, SnapshotOffers? offers = null)
    {
        File = file;
        Index = index;
        Term = term;
        _offers = offers;
    }

    public FileInfo File { get; }

    public long Index { get; }

    public long Term { get; }

    public DateTimeOffset Timestamp => DateTimeOffset.UnixEpoch;

    public bool IsReusable => true;

    /// <summary>What InstallSnapshot carries: the manifest when the file is offered for download, else the file.</summary>
    public long? Length => Manifest is { } manifest ? manifest.Length : File.Length;

    /// <summary>This snapshot offered with <paramref name="offers"/>.</summary>
    public SnapshotFile OfferedBy(SnapshotOffers offers) => new(File, Index, Term, offers);

    // Decided once per published snapshot, so that the Length DotNext reads and the bytes it then sends agree.
    private byte[]? Manifest
    {
        get
        {
            if (_offers is null)
                return null;
            lock (_gate)
            {
                if (!_decided)
                {
                    _manifest = _offers.ManifestFor(this);
                    _decided = _offers.BaseUrl is not null;
                }

                return _manifest;
            }
        }
    }

    public static string NameOf(long index, long term) =>
        index.ToString(CultureInfo.InvariantCulture) + "-" + term.ToString(CultureInfo.InvariantCulture);

    /// <summary>The snapshot a file name stands for, or null when the name is not <c>index-term</c>.</summary>
    public static SnapshotFile? TryParse(FileInfo file)
    {
        var parts = file.Name.Split('-');
        return parts.Length == 2
               && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
               && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var term)
            ? new SnapshotFile(file, index, term)
            : null;
    }

    /// <summary>Every snapshot file in <paramref name="folder"/>, newest (highest index) first.</summary>
    public static List<SnapshotFile> List(DirectoryInfo folder) =>
        folder.EnumerateFiles("*-*", SearchOption.TopDirectoryOnly)
            .Select(TryParse)
            .OfType<SnapshotFile>()
            .OrderByDescending(static s => s.Index)
            .ThenByDescending(static s => s.Term)
            .ToList();

    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        if (Manifest is { } manifest)
        {
            await writer.WriteAsync(manifest, null, token).ConfigureAwait(false);
            return;
        }

        // Opened per transfer: a newer snapshot may replace this one meanwhile, and on Linux the open file stays readable.
        var stream = File.Open(new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 1 << 16,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });
        await using (stream.ConfigureAwait(false))
            await writer.CopyFromAsync(stream, null, token).ConfigureAwait(false);
    }
}
