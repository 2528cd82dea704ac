namespace RaftKV.Node.Security;

/// <summary>What protected mode does with a new RESP connection.</summary>
internal enum ProtectedModeVerdict
{
    /// <summary>Served as usual.</summary>
    Serve,

    /// <summary>Sent Redis's -DENIED text and closed at once.</summary>
    Deny,

    /// <summary>
    /// From a cluster member's address: served only if its first command is the internal forwarding handshake and the
    /// handshake is accepted (a follower relaying its clients); anything else is denied as <see cref="Deny"/>.
    /// </summary>
    HandshakeOnly,
}
