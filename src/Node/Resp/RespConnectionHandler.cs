using Microsoft.AspNetCore.Connections;

namespace RaftKV.Node.Resp;

/// <summary>Kestrel's entry point for the RESP port: one <see cref="ClientSession"/> per connection.</summary>
internal sealed class RespConnectionHandler(SessionServices services) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        await using var session = new ClientSession(connection, services);
        await session.RunAsync().ConfigureAwait(false);
    }
}
