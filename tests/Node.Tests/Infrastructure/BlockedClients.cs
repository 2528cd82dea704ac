using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Execution;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>Waits on INFO's blocked_clients, as the Redis suite's wait_for_blocked_clients_count does.</summary>
internal static class BlockedClients
{
    /// <summary>Returns once the node <paramref name="client"/> is connected to counts exactly <paramref name="count"/> blocked clients; fails after 30 s.</summary>
    public static async Task WaitForAsync(RespTestClient client, int count)
    {
        for (var i = 0; i < 300; i++)
        {
            if (((await client.SendAsync("INFO", "clients")).Text() ?? "").Contains($"blocked_clients:{count}\r\n", StringComparison.Ordinal))
                return;
            await Task.Delay(100);
        }

        Assert.Fail($"the node never counted {count} blocked clients");
    }

    /// <summary>
    /// Returns once <paramref name="leader"/> holds at least <paramref name="count"/> blocked commands (its
    /// BlockingWaiters, a relayed one included, unlike INFO's blocked_clients); fails with the count after 30 s.
    /// </summary>
    public static async Task WaitForWaitersAsync(TestNode leader, int count)
    {
        var waiters = leader.App!.Services.GetRequiredService<BlockingWaiters>();
        for (var i = 0; i < 600 && waiters.Count < count; i++)
            await Task.Delay(50);
        Assert.Equal(count, waiters.Count);
    }
}
