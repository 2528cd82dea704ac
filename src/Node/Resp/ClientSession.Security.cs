using Microsoft.AspNetCore.Connections;

namespace RaftKV.Node.Resp;

/// <summary>What the session refuses before running a command: HTTP sent to the RESP port, and protected mode.</summary>
internal sealed partial class ClientSession
{
    /// <summary>
    /// As Redis does on POST or Host: (<see cref="Security.CrossProtocolGuard"/>): the connection is aborted before the
    /// replies of this read are queued, so none of them is sent, and the read loop stops.
    /// </summary>
    private void CloseForHttpRequest()
    {
        _services.CrossProtocol.Detected(Address);
        _connection.Abort(new ConnectionAbortedException("Cross protocol scripting: POST or Host: sent as a command"));
        _closed.Cancel();
        _batch.Clear();
    }

    /// <summary>
    /// The request limits now: Redis's authRequired ones (10 arguments of at most 16 KB) while the client must
    /// authenticate and has not, so a client without a password cannot make the node buffer large requests (nor keep
    /// large user names in the ACL LOG through failed AUTHs); a follower's forwarding connection, once it proved itself,
    /// runs as its client's user.
    /// </summary>
    private Protocol.Resp.RespLimits RequestLimits =>
        Identity.IsAuthenticated || IsForwarded || !_services.Access.Users.AuthRequired ? _services.Limits : Protocol.Resp.RespLimits.BeforeAuth;

    /// <summary>
    /// Set when protected mode lets this client in only as a follower's forwarding connection
    /// (<see cref="Security.ProtectedModeVerdict.HandshakeOnly"/>).
    /// </summary>
    public bool RequiresHandshake { get; init; }

    private int _handshakeCommands;

    /// <summary>
    /// The forwarding handshake (a NONCE request, then the PROOF) must come first, and every later command needs it
    /// accepted; a client gets no more than those two handshake commands to prove itself.
    /// </summary>
    private bool PassesProtectedMode(byte[] name)
    {
        if (IsForwarded)
            return true;
        if (_handshakeCommands >= 2 || !IsHandshake(name))
        {
            _handshakeCommands = int.MaxValue;
            return false;
        }

        _handshakeCommands++;
        return true;
    }
}
