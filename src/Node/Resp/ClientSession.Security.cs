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
    /// Set when protected mode lets this client in only as a follower's forwarding connection
    /// (<see cref="Security.ProtectedModeVerdict.HandshakeOnly"/>).
    /// </summary>
    public bool RequiresHandshake { get; init; }

    private bool _handshakeTried;

    /// <summary>The first command must be the forwarding handshake, and every later one needs it accepted.</summary>
    private bool PassesProtectedMode(byte[] name)
    {
        if (IsForwarded)
            return true;
        if (_handshakeTried)
            return false;
        _handshakeTried = true;
        return IsHandshake(name);
    }
}
