namespace RaftKV.Node.Raft;

/// <summary>
/// The leader's side of the snapshot transfer. A published snapshot larger than <see cref="InlineLimit"/> goes to a
/// lagging follower as a <see cref="SnapshotManifest"/> that points here, and the follower downloads the file from
/// this node's snapshot endpoint (<c>GET /raftkv/snapshots/{index-term}</c>, HTTP range requests so a broken download
/// resumes). Smaller ones travel inside InstallSnapshot as before: they fit in one Raft request.
/// <para>
/// While a download is being served the leader postpones its next periodic snapshot (up to
/// <see cref="PostponeFactor"/> snapshot intervals of log): a new snapshot would replace the one being downloaded,
/// and a follower whose download always took longer than the leader's snapshot interval would never catch up.
/// </para>
/// </summary>
internal sealed class SnapshotOffers(long inlineLimit)
{
    /// <summary>How many snapshot intervals of log a leader may keep while a download is served.</summary>
    public const int PostponeFactor = 4;

    public const string RoutePrefix = "/raftkv/snapshots/";

    private string? _baseUrl;
    private int _serving;
    private long _served;
    private long _servedBytes;

    /// <summary>Snapshots larger than this (bytes) are offered for download instead of sent in InstallSnapshot.</summary>
    public long InlineLimit { get; } = inlineLimit;

    /// <summary>
    /// This node's snapshot endpoint, <c>http://host:port</c> (<c>https</c> with Tls:Snapshots), once its listener is bound; null before (snapshots are
    /// then sent inline).
    /// </summary>
    public string? BaseUrl
    {
        get => Volatile.Read(ref _baseUrl);
        set => Volatile.Write(ref _baseUrl, value);
    }

    /// <summary>True while a follower is downloading a snapshot from this node.</summary>
    public bool IsServing => Volatile.Read(ref _serving) > 0;

    /// <summary>Downloads served (completed or not) and bytes sent, for INFO.</summary>
    public long Served => Interlocked.Read(ref _served);

    public long ServedBytes => Interlocked.Read(ref _servedBytes);

    /// <summary>The manifest to send for <paramref name="snapshot"/>, or null to send the file itself.</summary>
    public byte[]? ManifestFor(SnapshotFile snapshot)
    {
        var baseUrl = BaseUrl;
        var length = snapshot.File.Exists ? snapshot.File.Length : 0;
        return baseUrl is null || length <= InlineLimit
            ? null
            : new SnapshotManifest(snapshot.Index, snapshot.Term, length, baseUrl + RoutePrefix + snapshot.File.Name).Encode();
    }

    /// <summary>
    /// Serves the snapshot file <paramref name="name"/> (<c>index-term</c>) from <paramref name="folder"/> with range
    /// support; 404 for any other name or a file already reclaimed (the follower then waits for the next manifest).
    /// </summary>
    public async Task ServeAsync(DirectoryInfo folder, string name, HttpContext context)
    {
        if (SnapshotFile.TryParse(new FileInfo(Path.Combine(folder.FullName, name))) is not { } snapshot
            || snapshot.File.Name != name || !snapshot.File.Exists)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        Interlocked.Increment(ref _serving);
        Interlocked.Increment(ref _served);
        try
        {
            context.Response.Headers.ETag = "\"" + name + "\"";
            await Results.File(snapshot.File.FullName, "application/octet-stream", enableRangeProcessing: true)
                .ExecuteAsync(context).ConfigureAwait(false);

            // The length of the range sent (the whole file, or what a resumed download asked for).
            Interlocked.Add(ref _servedBytes, context.Response.ContentLength ?? 0);
        }
        finally
        {
            Interlocked.Decrement(ref _serving);
        }
    }

    /// <summary>The base URL for a listener bound to <paramref name="endPoint"/> (IPv6 addresses in brackets).</summary>
    public static string UrlOf(System.Net.IPEndPoint endPoint, bool https = false) => (https ? "https://" : "http://") + endPoint;
}
