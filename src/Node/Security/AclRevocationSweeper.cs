using RaftKV.Node.Resp;

namespace RaftKV.Node.Security;

/// <summary>
/// Closes the connections of users that were deleted, as Redis's ACL DELUSER does (ACLFreeUserAndKillClients), also
/// when they send nothing more: each time the applied users change, every connection whose user is gone is closed.
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
                    if (access.IsRevoked(session.Identity))
                        session.Kill();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
