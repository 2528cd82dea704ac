using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>SCAN-family cursors through a real node while another client changes the container.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ScanTests
{
    // Redis's "SCAN regression test for issue #4906" with the removals sent by a second client as the scan goes on.
    [Fact]
    public async Task Sscan_WhileAnotherClientRemovesOtherMembers_ReturnsEveryMemberPresentThroughout()
    {
        const int stable = 100, total = 1100;
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await using var scanner = await RespTestClient.ConnectAsync(leader.RespPort);
        await using var remover = await RespTestClient.ConnectAsync(leader.RespPort);

        var members = new List<string> { "SADD", "s", "x" };
        members.AddRange(Enumerable.Range(0, total).Select(i => i.ToString()));
        Assert.Equal((total + 1).ToString(), (await scanner.SendAsync([.. members])).Text());

        var removed = 0;
        var removing = Task.Run(async () =>
        {
            for (var i = stable; i < total; i++)
            {
                Assert.Equal("1", (await remover.SendAsync("SREM", "s", i.ToString())).Text());
                Volatile.Write(ref removed, i - stable + 1);
            }
        });

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cursor = "0";
        var calls = 0;
        do
        {
            var reply = (ArrayReply)await scanner.SendAsync("SSCAN", "s", cursor, "COUNT", "5");
            cursor = reply.Items[0].Text()!;
            foreach (var item in ((ArrayReply)reply.Items[1]).Items)
                seen.Add(item.Text()!);
            calls++;

            // Keep the removals going through the scan rather than before or after it: wait for progress, not time.
            var target = Math.Min(total - stable, calls * 5);
            while (Volatile.Read(ref removed) < target && !removing.IsCompleted)
                await Task.Delay(1);
        }
        while (cursor != "0" && calls < 10_000);

        await removing.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal("0", cursor);
        var missing = Enumerable.Range(0, stable).Select(i => i.ToString()).Where(m => !seen.Contains(m)).ToList();
        Assert.True(missing.Count == 0, $"never returned: {string.Join(' ', missing)}");
    }
}
