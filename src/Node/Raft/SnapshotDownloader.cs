using System.Net;
using System.Net.Http.Headers;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Raft;

/// <summary>
/// The follower's side of the snapshot transfer (<see cref="SnapshotManifest"/>). The first InstallSnapshot that
/// carries a manifest starts a download in the background and fails at once (the leader tries again at its next
/// heartbeat, as after any failed request); the file is fetched over HTTP, resumed with a range request where a
/// transfer broke, fsync'd, then read and verified completely (checksum, index and term) into a store while the old
/// store keeps serving. The InstallSnapshot that finds the matching snapshot staged installs it in milliseconds: no
/// part of the transfer or the load has to fit in a Raft request.
/// <para>
/// One download at a time; a manifest for another snapshot (the leader took a newer one) replaces it. A download that
/// makes no progress for <see cref="StallTimeout"/> fails and is resumed by the next manifest.
/// </para>
/// </summary>
/// <param name="tls">TLS for an https manifest URL (the leader's Tls:Snapshots): the node certificate is presented and
/// the leader verified against the cluster CA. Null: the system's defaults, with no client certificate.</param>
internal sealed partial class SnapshotDownloader(
    DirectoryInfo folder, Func<string, SnapshotContents> load, ILogger logger, System.Net.Security.SslClientAuthenticationOptions? tls = null) : IDisposable
{
    private const int MaxAttempts = 5;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseProxy = false,
        SslOptions = tls ?? new(),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Lock _gate = new();
    private Download? _current;
    private long _started;
    private long _completed;
    private long _receivedBytes;

    /// <summary>Downloads started, and completed (verified and staged), by this process.</summary>
    public long Started => Interlocked.Read(ref _started);

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Snapshot bytes received over all downloads.</summary>
    public long ReceivedBytes => Interlocked.Read(ref _receivedBytes);

    /// <summary>
    /// The downloaded and verified snapshot <paramref name="manifest"/> describes, handed over to the caller (which
    /// owns its file from then on); or null, after making sure a download of it is running.
    /// </summary>
    public Staged? TakeOrStart(SnapshotManifest manifest, out string progress)
    {
        lock (_gate)
        {
            if (_current is { } current && current.Manifest.Describes(manifest))
            {
                if (current.Task.IsCompletedSuccessfully)
                {
                    _current = null;
                    progress = "complete";
                    return new Staged(current.Path, current.Task.Result);
                }

                if (!current.Task.IsCompleted)
                {
                    progress = $"{Interlocked.Read(ref current.Received)} of {manifest.Length} bytes";
                    return null;
                }
            }

            // Nothing yet, another snapshot, or a failed attempt: (re)start. A failed download of the same snapshot
            // keeps its partial file, and the range request resumes it.
            _current?.Cancel(keepFile: _current.Manifest.Describes(manifest));
            _current = new Download(manifest, Path.Combine(folder.FullName, $"download.{manifest.Index}-{manifest.Term}.tmp"), RunAsync);
            Interlocked.Increment(ref _started);
            LogDownloadStarted(manifest.Index, manifest.Term, manifest.Length, manifest.Url);
            progress = "started";
            return null;
        }
    }

    private async Task<SnapshotContents> RunAsync(Download download)
    {
        await Task.Yield();
        var manifest = download.Manifest;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await FetchAsync(download).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException
                                          && attempt < MaxAttempts && !download.Cancellation.IsCancellationRequested)
            {
                LogDownloadRetry(manifest.Index, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), download.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !download.Cancellation.IsCancellationRequested)
            {
                LogDownloadFailed(manifest.Index, manifest.Url, e);
                throw;
            }
        }

        // Read back completely: the checksum covers the whole file, and a snapshot of another index or term (a
        // leader that reused a name after a restart, say) must not be installed under this manifest.
        SnapshotContents contents;
        await Execution.SocketThreads.Leave();
        try
        {
            contents = load(download.Path);
        }
        catch
        {
            File.Delete(download.Path);
            throw;
        }

        if (contents.Index != manifest.Index || contents.Term != manifest.Term)
        {
            File.Delete(download.Path);
            throw new InvalidDataException(
                $"the downloaded snapshot is at index {contents.Index}, term {contents.Term}; the leader offered {manifest.Index}, term {manifest.Term}");
        }

        Interlocked.Increment(ref _completed);
        LogDownloadComplete(manifest.Index, manifest.Term, manifest.Length);
        return contents;
    }

    private async Task FetchAsync(Download download)
    {
        var manifest = download.Manifest;
        var file = new FileStream(download.Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            var offset = Math.Min(file.Length, manifest.Length);
            if (offset < manifest.Length)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, manifest.Url);
                request.Headers.Range = new RangeHeaderValue(offset, null);
                if (manifest.Token.Length > 0)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", manifest.Token);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(download.Cancellation.Token);
                stall.CancelAfter(StallTimeout);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound)
                    throw new InvalidDataException($"the leader no longer has snapshot {manifest.Index}-{manifest.Term}");
                response.EnsureSuccessStatusCode();

                // A server that ignored the range sends everything again.
                if (response.StatusCode != HttpStatusCode.PartialContent)
                    offset = 0;
                file.SetLength(offset);
                file.Position = offset;

                var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    var buffer = new byte[1 << 16];
                    while (file.Position < manifest.Length)
                    {
                        stall.CancelAfter(StallTimeout);
                        var read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                        if (read == 0)
                            break;
                        if (file.Position + read > manifest.Length)
                            throw new InvalidDataException("the leader sent more bytes than its snapshot holds");
                        await file.WriteAsync(buffer.AsMemory(0, read), stall.Token).ConfigureAwait(false);
                        Interlocked.Add(ref download.Received, read);
                        Interlocked.Add(ref _receivedBytes, read);
                    }
                }
            }

            if (file.Length != manifest.Length)
                throw new IOException($"the snapshot download stopped at {file.Length} of {manifest.Length} bytes");
            await file.FlushAsync(download.Cancellation.Token).ConfigureAwait(false);

            // The last read may have completed on a socket event thread: the fsync is long (SocketThreads).
            await Execution.SocketThreads.Leave();
            file.Flush(flushToDisk: true);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current?.Cancel(keepFile: false);
            _current = null;
        }

        _http.Dispose();
    }

    /// <summary>A downloaded, fsync'd and verified snapshot: its file (a temporary name) and its contents.</summary>
    internal sealed record Staged(string Path, SnapshotContents Contents);

    private sealed class Download
    {
        public long Received;

        // Starts the transfer (run, which gets this download) once the fields it reads are set.
        public Download(SnapshotManifest manifest, string path, Func<Download, Task<SnapshotContents>> run)
        {
            Manifest = manifest;
            Path = path;
            Task = run(this);
        }

        public SnapshotManifest Manifest { get; }

        public string Path { get; }

        public CancellationTokenSource Cancellation { get; } = new();

        public Task<SnapshotContents> Task { get; }

        // Stops the transfer; the file is removed once the task has let go of it, unless a resume will use it.
        public void Cancel(bool keepFile)
        {
            Cancellation.Cancel();
            _ = Task.ContinueWith(
                _ =>
                {
                    if (!keepFile)
                        File.Delete(Path);
                    Cancellation.Dispose();
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading snapshot {Index}, term {Term} ({Length} bytes) from {Url}")]
    private partial void LogDownloadStarted(long index, long term, long length, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {Index} download attempt {Attempt} broke off ({Reason}); resuming")]
    private partial void LogDownloadRetry(long index, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {Index} download from {Url} failed; the next InstallSnapshot starts it again")]
    private partial void LogDownloadFailed(long index, string url, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {Index}, term {Term} downloaded and verified ({Length} bytes)")]
    private partial void LogDownloadComplete(long index, long term, long length);
}
