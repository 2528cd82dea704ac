using Google.Protobuf;
using Grpc.Core;
using RaftKV.Grpc.V1;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Grpc;

/// <summary>
/// The gRPC Lock service: each call is its RAFTKV.LOCK.* command on the same lock table, run by
/// <see cref="GrpcCommands"/>. Acquire with wait retries until the lock is granted or the call's deadline passes.
/// </summary>
internal sealed class LockService(GrpcCommands commands) : RaftKV.Grpc.V1.Lock.LockBase
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan LastRetry = TimeSpan.FromMilliseconds(500);

    /// <remarks>
    /// Waiting retries the same ACQUIRE: after LOCKED, and after an unknown outcome or a missing leader too, since an
    /// ACQUIRE by the owner that already holds the lock answers the same token (it is idempotent), so a retry can never
    /// take a second lease nor lose the one the unknown attempt may have taken.
    /// </remarks>
    public override async Task<LockAcquireResponse> Acquire(LockAcquireRequest request, ServerCallContext context)
    {
        byte[][] args = ["RAFTKV.LOCK.ACQUIRE"u8.ToArray(), request.Name.ToByteArray(), request.Owner.ToByteArray(), KvMessages.Number(request.TtlMs)];
        var pause = FirstRetry;
        while (true)
        {
            try
            {
                var reply = await commands.RunAsync(context, args).ConfigureAwait(false);
                return reply is IntegerReply token ? new LockAcquireResponse { Token = token.Value } : throw GrpcErrors.Unexpected(reply);
            }
            catch (RpcException e) when (request.Wait && IsRetryable(e))
            {
                try
                {
                    await Task.Delay(pause, context.CancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    throw context.Deadline <= DateTime.UtcNow
                        ? new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded: " + e.Status.Detail))
                        : new RpcException(new Status(StatusCode.Cancelled, "Cancelled: " + e.Status.Detail));
                }

                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LastRetry.Ticks));
            }
        }
    }

    public override async Task<LockRefreshResponse> Refresh(LockRefreshRequest request, ServerCallContext context)
    {
        var reply = await commands.RunAsync(context,
            ["RAFTKV.LOCK.REFRESH"u8.ToArray(), request.Name.ToByteArray(), request.Owner.ToByteArray(), KvMessages.Number(request.TtlMs)]).ConfigureAwait(false);
        return reply is IntegerReply token ? new LockRefreshResponse { Token = token.Value } : throw GrpcErrors.Unexpected(reply);
    }

    public override async Task<LockReleaseResponse> Release(LockReleaseRequest request, ServerCallContext context)
    {
        var reply = await commands.RunAsync(context, ["RAFTKV.LOCK.RELEASE"u8.ToArray(), request.Name.ToByteArray(), request.Owner.ToByteArray()]).ConfigureAwait(false);
        return reply is IntegerReply released ? new LockReleaseResponse { Released = released.Value != 0 } : throw GrpcErrors.Unexpected(reply);
    }

    public override async Task<LockOwnerResponse> Owner(LockOwnerRequest request, ServerCallContext context)
    {
        var reply = await commands.RunAsync(context, ["RAFTKV.LOCK.OWNER"u8.ToArray(), request.Name.ToByteArray()]).ConfigureAwait(false);
        return reply switch
        {
            ArrayReply { Items: [BulkReply owner, IntegerReply token, IntegerReply ttl] } =>
                new LockOwnerResponse { Held = true, Owner = ByteString.CopyFrom(owner.Value), Token = token.Value, TtlMs = ttl.Value },
            NullReply => new LockOwnerResponse { Held = false },
            _ => throw GrpcErrors.Unexpected(reply),
        };
    }

    private static bool IsRetryable(RpcException e) =>
        (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail.StartsWith("LOCKED", StringComparison.Ordinal))
        || e.StatusCode is StatusCode.Unknown or StatusCode.Unavailable;
}
