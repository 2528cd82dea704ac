using Grpc.Core;
using RaftKV.Node.Execution;

namespace RaftKV.Node.Grpc;

/// <summary>
/// How a Redis error reply becomes a gRPC status, its text kept as the detail: clients of either protocol see the same
/// words. The trailer <see cref="LeaderTrailer"/> names the leader's RESP address when the call could not reach it.
/// </summary>
internal static class GrpcErrors
{
    /// <summary>Trailer with the leader's RESP host:port, on UNAVAILABLE when a leader is known.</summary>
    public const string LeaderTrailer = "raftkv-leader";

    /// <summary>The status for <paramref name="message"/>, a Redis error reply's text (without the leading '-').</summary>
    /// <param name="leader">The leader's RESP address if known, for the trailer of an UNAVAILABLE status.</param>
    public static RpcException From(string message, string? leader)
    {
        if (message.StartsWith("MOVED ", StringComparison.Ordinal))
        {
            // A follower in redirect mode: "MOVED 0 host:port".
            var parts = message.Split(' ');
            return Unavailable(message, parts.Length == 3 ? parts[2] : leader);
        }

        if (message == CommandExecutor.UnknownOutcome)
            return new RpcException(new Status(StatusCode.Unknown, message));
        if (message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) || message.StartsWith("TRYAGAIN", StringComparison.Ordinal))
            return Unavailable(message, message == CommandExecutor.NoLeader ? null : leader);
        if (message.StartsWith("OOM", StringComparison.Ordinal))
            return new RpcException(new Status(StatusCode.ResourceExhausted, message));
        if (message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal))
            return new RpcException(new Status(StatusCode.Unauthenticated, message));
        if (message.StartsWith("NOPERM", StringComparison.Ordinal))
            return new RpcException(new Status(StatusCode.PermissionDenied, message));
        return new RpcException(new Status(StatusCode.FailedPrecondition, message));
    }

    /// <summary>A malformed request: INVALID_ARGUMENT with Redis's text.</summary>
    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    /// <summary>A reply of a shape the service does not expect: a bug, reported as INTERNAL.</summary>
    public static RpcException Unexpected(object reply) => new(new Status(StatusCode.Internal, "unexpected reply " + reply));

    private static RpcException Unavailable(string message, string? leader)
    {
        var trailers = new Metadata();
        if (!string.IsNullOrEmpty(leader))
            trailers.Add(LeaderTrailer, leader);
        return new RpcException(new Status(StatusCode.Unavailable, message), trailers);
    }
}
