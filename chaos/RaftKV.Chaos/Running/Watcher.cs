using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Chaos.Cluster;
using RaftKV.Grpc.V1;

namespace RaftKV.Chaos.Running;

/// <summary>
/// One gRPC watcher of a key prefix for the whole run, as a service that reloads its configuration would run it: on
/// one node at a time, and when its stream breaks (node killed, paused, cut off) it resumes on the next node from the
/// last revision it saw + 1. What it received is checked by <see cref="Checkers.WatchChecker"/>.
/// </summary>
internal sealed class Watcher(ChaosCluster cluster, string prefix, TextWriter log)
{
    /// <summary>One change as the stream delivered it.</summary>
    public sealed record Change(long Revision, string Key, string? Value, bool Deleted, string Node);

    private readonly List<Change> _changes = [];
    private long _last;

    /// <summary>Streams that ended with OUT_OF_RANGE or ABORTED (the node could not replay from where the watcher was).</summary>
    public List<string> Gaps { get; } = [];

    public int Resumes { get; private set; }

    public IReadOnlyList<Change> Changes
    {
        get
        {
            lock (_changes)
                return [.. _changes];
        }
    }

    public async Task RunAsync(CancellationToken token)
    {
        var attempt = 0;
        while (!token.IsCancellationRequested)
        {
            var node = cluster.Nodes[attempt++ % cluster.Nodes.Count];
            if (node.Grpc is null || !node.IsRunning || node.IsPaused)
            {
                await Pause(token).ConfigureAwait(false);
                continue;
            }

            try
            {
                using var channel = GrpcChannel.ForAddress($"http://{node.Grpc}");
                var client = new Watch.WatchClient(channel);
                // From revision 1 at first: every node of a new cluster keeps its whole history (the floor is 0).
                var start = Interlocked.Read(ref _last) + 1;
                using var call = client.Watch(new WatchRequest { Key = ByteString.CopyFromUtf8(prefix), Prefix = true, StartRevision = start },
                    cancellationToken: token);
                Resumes++;
                // A node cut off from the others streams nothing new: a stream quiet for 5 s moves to another node.
                while (true)
                {
                    using var quiet = CancellationTokenSource.CreateLinkedTokenSource(token);
                    quiet.CancelAfter(TimeSpan.FromSeconds(5));
                    if (!await call.ResponseStream.MoveNext(quiet.Token).ConfigureAwait(false))
                        break;
                    Record(call.ResponseStream.Current, node.Name);
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.OutOfRange or StatusCode.Aborted)
            {
                lock (_changes)
                    Gaps.Add($"{node.Name}: {e.Status.Detail}");
                log.WriteLine($"chaos: watcher: {node.Name} cannot replay from {_last + 1}: {e.StatusCode}");
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or OperationCanceledException)
            {
                if (token.IsCancellationRequested)
                    return;
            }

            await Pause(token).ConfigureAwait(false);
        }
    }

    private static async Task Pause(CancellationToken token)
    {
        try
        {
            await Task.Delay(200, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Record(WatchResponse response, string node)
    {
        lock (_changes)
        {
            foreach (var e in response.Events)
            {
                _changes.Add(new Change(e.ModRevision, e.Key.ToStringUtf8(), e.IsString ? e.Value.ToStringUtf8() : null,
                    e.Type == WatchEvent.Types.EventType.Delete, node));
                Volatile.Write(ref _last, Math.Max(_last, e.ModRevision));
            }
        }
    }

    /// <summary>Waits until the watcher received <paramref name="value"/> on <paramref name="key"/>.</summary>
    public async Task<bool> WaitForAsync(string key, long value, TimeSpan timeout, CancellationToken token)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_changes)
            {
                if (_changes.Any(c => c.Key == key && c.Value == text))
                    return true;
            }

            await Task.Delay(100, token).ConfigureAwait(false);
        }

        return false;
    }
}
