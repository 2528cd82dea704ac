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
/// <para>
/// Only members download: a request must carry <c>Authorization: Bearer</c> with the file's proof
/// (<see cref="Security.MemberProof.ForSnapshot"/>), which the leader puts into the manifest it sends over Raft, so a
/// follower needs no secret of its own to catch up (a brand-new member has none yet). Without it: 401 and no bytes.
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

    /// <summary>This node's applied cluster secret, or null while it has none (snapshots are then sent inline).</summary>
    public Func<byte[]?> ClusterSecret { get; set; } = static () => null;

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
        return baseUrl is null || length <= InlineLimit || ClusterSecret() is not { } secret
            ? null
            : new SnapshotManifest(snapshot.Index, snapshot.Term, length, baseUrl + RoutePrefix + snapshot.File.Name,
                Security.MemberProof.ForSnapshot(secret, snapshot.File.Name)).Encode();
    }

    /// <summary>
    /// Serves the snapshot file <paramref name="name"/> (<c>index-term</c>) from <paramref name="folder"/> with range
    /// support; 404 for any other name or a file already reclaimed (the follower then waits for the next manifest);
    /// 401 before anything else for a request without the member proof for <paramref name="name"/>.
    /// </summary>
    public async Task ServeAsync(DirectoryInfo folder, string name, HttpContext context)
    {
        if (!IsMember(name, context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }

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

    // The proof is checked whatever the name, so an outsider learns nothing about which snapshots exist.
    private bool IsMember(string name, HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return ClusterSecret() is { } secret
               && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
               && header.Length - scheme.Length == Security.MemberProof.Length
               && Security.MemberProof.Matches(Security.MemberProof.ForSnapshot(secret, name), System.Text.Encoding.ASCII.GetBytes(header[scheme.Length..]));
    }

    /// <summary>The base URL for a listener bound to <paramref name="endPoint"/> (IPv6 addresses in brackets).</summary>
    public static string UrlOf(System.Net.IPEndPoint endPoint, bool https = false) => (https ? "https://" : "http://") + endPoint;
}
