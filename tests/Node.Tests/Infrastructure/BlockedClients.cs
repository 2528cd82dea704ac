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
}
