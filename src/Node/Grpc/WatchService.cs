using Google.Protobuf;
using Grpc.Core;
using RaftKV.Grpc.V1;
using RaftKV.Node.PubSub;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// gRPC Watch: the changes of a key or prefix from a start revision, streamed from this node's <see cref="WatchHub"/>
/// (its applied log). Checked against the ACL as the read it amounts to (RAFTKV.KV.GET of the key, RAFTKV.KV.RANGE of
/// the prefix). A start revision the node's history no longer (or never) had is OUT_OF_RANGE, and a change of the whole
/// keyspace (FLUSHALL, a snapshot installed) ends the stream with ABORTED: in both cases the client re-reads and
/// watches again from the revision of what it read.
/// </summary>
internal sealed class WatchService(WatchHub hub, Security.AccessControl access) : Watch.WatchBase
{
    private const int Batch = 1000;

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        var key = request.Key.ToByteArray();
        byte[][] read = request.Prefix
            ? ["RAFTKV.KV.RANGE"u8.ToArray(), key, [], "1"u8.ToArray()]
            : ["RAFTKV.KV.GET"u8.ToArray(), key];
        CommandTable.TryGet(read[0], out var spec);
        var identity = Security.GrpcIdentity.Of(context, access);
        if (access.Check(identity, spec!, read) is ErrorReply denied)
            throw Security.GrpcIdentity.Refusal(denied.Message);

        var token = context.CancellationToken;
        var next = request.StartRevision > 0 ? request.StartRevision : hub.Revision + 1;
        while (!token.IsCancellationRequested)
        {
            var (changes, more, compacted) = hub.Read(next, Batch);
            if (compacted)
            {
                throw new RpcException(new Status(StatusCode.OutOfRange,
                    $"ERR required revision {next} has been compacted: this node keeps changes after revision {hub.Floor}; read again and watch from the revision the read returns"));
            }

            if (changes.Count == 0)
            {
                await more.WaitAsync(token).ConfigureAwait(false);
                continue;
            }

            var response = new WatchResponse();
            foreach (var change in changes)
            {
                if (change.Flushed)
                {
                    if (response.Events.Count > 0)
                    {
                        StillAllowed(identity, spec!, read);
                        await responseStream.WriteAsync(response, token).ConfigureAwait(false);
                    }

                    throw new RpcException(new Status(StatusCode.Aborted,
                        $"ERR the whole keyspace changed at revision {change.Revision} (FLUSHALL, FLUSHDB or a snapshot from the leader): read again and watch from the revision the read returns"));
                }

                if (!Matches(change.Key, key, request.Prefix))
                    continue;
                var watched = new WatchEvent
                {
                    Type = change.Deleted ? WatchEvent.Types.EventType.Delete : WatchEvent.Types.EventType.Put,
                    Key = ByteString.CopyFrom(change.Key),
                    ModRevision = change.Revision,
                    IsString = change.Value is not null,
                };
                if (change.Value is not null)
                    watched.Value = ByteString.CopyFrom(change.Value);
                if (request.PrevKv && change.HasPrevious)
                {
                    watched.PrevValue = ByteString.CopyFrom(change.Previous);
                    watched.HasPrevValue = true;
                }

                response.Events.Add(watched);
            }

            next = changes[^1].Revision + 1;
            if (response.Events.Count > 0)
            {
                response.Revision = response.Events[^1].ModRevision;
                StillAllowed(identity, spec!, read);
                await responseStream.WriteAsync(response, token).ConfigureAwait(false);
            }
        }
    }

    // Checked again before each batch, as the rules stand then: a watcher whose user was deleted (Redis closes such a
    // user's connections) or whose key or prefix its rules no longer allow gets no change made after that, and its
    // stream ends with the refusal.
    private void StillAllowed(Security.SessionIdentity identity, CommandSpec spec, byte[][] read)
    {
        if (access.Check(identity, spec, read) is ErrorReply revoked)
            throw Security.GrpcIdentity.Refusal(revoked.Message);
    }

    private static bool Matches(byte[] changed, byte[] key, bool prefix) =>
        prefix ? changed.AsSpan().StartsWith(key) : changed.AsSpan().SequenceEqual(key);
}
