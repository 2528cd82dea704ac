using System.Text;
using Grpc.Core;

namespace RaftKV.Node.Security;

/// <summary>
/// Who a gRPC call runs as: the default user, or the user named by the call's <c>username</c> and <c>password</c>
/// metadata (a password alone signs in the default user, as AUTH &lt;password&gt;), checked as AUTH checks them.
/// </summary>
internal static class GrpcIdentity
{
    /// <summary>The call's identity; throws Unauthenticated with Redis's WRONGPASS text when the credentials are wrong.</summary>
    public static SessionIdentity Of(ServerCallContext context, AccessControl access)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(access);
        var identity = new SessionIdentity();
        identity.SetDefault(access.Users);
        var password = context.RequestHeaders.GetValue("password");
        if (password is null)
            return identity;
        var user = context.RequestHeaders.GetValue("username") ?? RaftKV.StateMachine.Acl.AclTable.DefaultUserName;
        if (access.Authenticate(identity, Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(password)) is RaftKV.Protocol.Replies.ErrorReply error)
            throw new RpcException(new Status(StatusCode.Unauthenticated, error.Message));
        return identity;
    }

    /// <summary>The gRPC status of an ACL refusal: Unauthenticated for NOAUTH, PermissionDenied for NOPERM.</summary>
    public static RpcException Refusal(string message) => new(new Status(
        message.StartsWith("NOAUTH", StringComparison.Ordinal) ? StatusCode.Unauthenticated : StatusCode.PermissionDenied, message));
}
