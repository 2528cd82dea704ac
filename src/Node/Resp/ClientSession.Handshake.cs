using System.Text;
using RaftKV.Node.Security;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Resp;

/// <summary>
/// The forwarding handshake (<see cref="Execution.ForwardingConnection.Handshake"/>), accepted only from a cluster
/// member: <c>NONCE</c> hands out a fresh nonce, and <c>PROOF hex</c> with the nonce's member proof
/// (<see cref="MemberProof.ForForwarding"/>) makes this a forwarded connection. Anything else (no proof, a wrong one, a
/// nonce used twice or never asked for, a node without a secret yet) is answered as an unknown command, logged, and
/// leaves the session an ordinary client.
/// </summary>
internal sealed partial class ClientSession
{
    // The nonce handed out by the last NONCE; one PROOF uses it up, right or wrong.
    private string? _handshakeNonce;

    private Reply AnswerHandshake(RespRequest request)
    {
        if (request.Count == 2 && Ascii.EqualsIgnoreCase(request[1], "NONCE"u8))
        {
            _handshakeNonce = MemberProof.NewNonce();
            return new BulkReply(Encoding.ASCII.GetBytes(_handshakeNonce));
        }

        var nonce = _handshakeNonce;
        _handshakeNonce = null;
        var secret = _services.Raft.IsStarted ? _services.Raft.StateMachine.ClusterSecret : null;
        var reason = request.Count != 3 || !Ascii.EqualsIgnoreCase(request[1], "PROOF"u8) ? "no proof"
            : nonce is null ? "no nonce asked for"
            : secret is null ? "this node has no cluster secret yet"
            : !MemberProof.Matches(MemberProof.ForForwarding(secret, nonce), request[2]) ? "a wrong proof"
            : null;
        if (reason is null)
        {
            IsForwarded = true;
            ProtocolVersion = 3;
            return Reply.Ok;
        }

        // A member asking before this node applied the cluster secret (the leader's first progress request on a new
        // cluster) is expected and says nothing about the asker: not a warning.
        if (secret is null && nonce is not null)
            LogHandshakeTooEarly(Address);
        else
            LogHandshakeRefused(Address, reason);
        var refused = Reply.Error(ErrorMessages.UnknownCommand(Encoding.UTF8.GetString(request[0]), request.Arguments.Skip(1).ToList()));
        _services.Stats.Rejected(null, refused);
        _transaction.Flag();
        return refused;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forwarding handshake from {Client} before this node has the cluster secret: it stays an ordinary client")]
    private partial void LogHandshakeTooEarly(string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the forwarding handshake from {Client} ({Reason}): it stays an ordinary client")]
    private partial void LogHandshakeRefused(string client, string reason);
}
