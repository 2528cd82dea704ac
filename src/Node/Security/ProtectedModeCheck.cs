using System.Net;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Security;

/// <summary>
/// <see cref="ProtectedMode"/> applied to this node: its RESP listener, the replicated <c>protected-mode</c> parameter
/// (yes until a CONFIG SET says otherwise, so also before the Raft node has started), the default user's password and
/// the cluster's current members.
/// </summary>
internal sealed class ProtectedModeCheck(IOptions<NodeOptions> options, RaftHost raft, IDefaultUserPassword password)
{
    private readonly IPAddress _listener = EndpointParser.ParseIp(options.Value.RespEndpoint).Address;

    public async ValueTask<ProtectedModeVerdict> CheckAsync(EndPoint? client)
    {
        // A node bound to an explicit address is never protected: no need to read its state for every connection.
        if (!_listener.Equals(IPAddress.Any) && !_listener.Equals(IPAddress.IPv6Any))
            return ProtectedModeVerdict.Serve;
        var enabled = !raft.IsStarted || await raft.StateMachine.ReadAsync(static s => s.Config.Get("protected-mode")).ConfigureAwait(false) == "yes";
        var members = raft.IsStarted
            ? raft.Cluster.Members.Select(static m => m.EndPoint).OfType<IPEndPoint>().Select(static e => e.Address).ToList()
            : [];
        return ProtectedMode.Decide(enabled, password.DefaultUserHasPassword, _listener, (client as IPEndPoint)?.Address, members);
    }

    /// <summary>Sends Redis's -DENIED text; the caller then ends the connection.</summary>
    public static async Task DenyAsync(Microsoft.AspNetCore.Connections.ConnectionContext connection)
    {
        try
        {
            await connection.Transport.Output.WriteAsync(System.Text.Encoding.ASCII.GetBytes("-" + ProtectedMode.DeniedMessage + "\r\n"), connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The client left first.
        }
    }
}
