using System.Net;

namespace RaftKV.Node.Security;

/// <summary>
/// Protected mode, Redis's guard for a server left open on a network without a password: while <c>protected-mode</c> is
/// yes (Redis's default) and the default user has no password, only clients from 127.0.0.1 or ::1 are served; any other
/// client is sent <see cref="DeniedMessage"/> and closed as it connects. As the issue defines it for RaftKV, the guard
/// applies only while the RESP listener is bound to every interface (0.0.0.0 or ::): a node bound to an explicit address,
/// as the chaos harness binds its nodes in their network namespaces, serves the network the operator chose (Redis 6's
/// rule; Redis 7.0 dropped the bind condition, which would deny every client of such a node). A client from a cluster
/// member's address may be a follower's forwarding connection: it is let in only by the forwarding handshake.
/// </summary>
internal static class ProtectedMode
{
    /// <summary>Redis 7.0.15's text (networking.c), sent as an error reply before the connection closes.</summary>
    public const string DeniedMessage =
        "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. "
        + "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to "
        + "Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
        + "protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE "
        + "SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
        + "Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode "
        + "option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the "
        + "'--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of "
        + "the above things in order for the server to start accepting connections from the outside.";

    /// <param name="enabled">The replicated <c>protected-mode</c> parameter is yes.</param>
    /// <param name="defaultUserHasPassword">The default user has a password.</param>
    /// <param name="listener">The address the RESP listener is bound to.</param>
    /// <param name="client">The client's address; null when unknown (denied).</param>
    /// <param name="members">The addresses of the cluster's members (their Raft endpoints).</param>
    public static ProtectedModeVerdict Decide(bool enabled, bool defaultUserHasPassword, IPAddress listener, IPAddress? client, IEnumerable<IPAddress> members)
    {
        if (!enabled || defaultUserHasPassword || !(listener.Equals(IPAddress.Any) || listener.Equals(IPAddress.IPv6Any)))
            return ProtectedModeVerdict.Serve;
        if (client is null)
            return ProtectedModeVerdict.Deny;
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;

        // As Redis's islocalClient: exactly 127.0.0.1 or ::1, not the rest of 127/8.
        if (address.Equals(IPAddress.Loopback) || address.Equals(IPAddress.IPv6Loopback))
            return ProtectedModeVerdict.Serve;
        return members.Any(m => (m.IsIPv4MappedToIPv6 ? m.MapToIPv4() : m).Equals(address)) ? ProtectedModeVerdict.HandshakeOnly : ProtectedModeVerdict.Deny;
    }
}
