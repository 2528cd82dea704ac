using Microsoft.AspNetCore.Connections;
using RaftKV.Node.Security;

namespace RaftKV.Node.Resp;

/// <summary>
/// Kestrel's entry point for the RESP port: one <see cref="ClientSession"/> per connection, unless protected mode
/// refuses the client (<see cref="ProtectedModeCheck"/>), which is then told so and closed as it connects.
/// </summary>
internal sealed class RespConnectionHandler(SessionServices services, ProtectedModeCheck protectedMode) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var verdict = await protectedMode.CheckAsync(connection.RemoteEndPoint).ConfigureAwait(false);
        if (verdict == ProtectedModeVerdict.Deny)
        {
            await ProtectedModeCheck.DenyAsync(connection).ConfigureAwait(false);
            return;
        }

        await using var session = new ClientSession(connection, services) { RequiresHandshake = verdict == ProtectedModeVerdict.HandshakeOnly };
        await session.RunAsync().ConfigureAwait(false);
    }
}
