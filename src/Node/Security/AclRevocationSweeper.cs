using RaftKV.Node.Resp;

namespace RaftKV.Node.Security;

/// <summary>
/// Closes the connections of users that were deleted, as Redis's ACL DELUSER does (ACLFreeUserAndKillClients), also
/// when they send nothing more, and the subscribers whose user lost one of their channels (ACLKillPubsubClientsIfNeeded):
/// each time the applied users change, every such connection is closed.
/// A connection that sends a command first is closed by its own check (<see cref="AccessControl.IsRevoked"/>).
/// </summary>
internal sealed class AclRevocationSweeper(AccessControl access, ClientRegistry clients) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seen = access.Users;
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var users = access.Users;
                if (ReferenceEquals(users, seen))
                    continue;
                seen = users;
                foreach (var session in clients.Snapshot())
                {
                    if (access.IsRevoked(session.Identity) || LostChannels(session))
                        session.Kill();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private bool LostChannels(ClientSession session)
    {
        // The session's own thread may subscribe meanwhile: copying its sets is retried until it reads them whole.
        for (var attempt = 0; session.Subscriptions.Count > 0; attempt++)
        {
            try
            {
                return access.LostChannels(session.Identity, [.. session.Subscriptions.Channels, .. session.Subscriptions.ShardChannels], [.. session.Subscriptions.Patterns]);
            }
            catch (InvalidOperationException) when (attempt < 10)
            {
                // Changed while copied.
            }
        }

        return false;
    }
}
