using System.Buffers.Binary;
using RaftKV.Node.Log;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Power loss on a minority, with RaftKV's own log: the victim's last segment loses its tail (cut at a record boundary,
/// or in the middle of a record, as a power cut leaves a write the disk had not finished), more than a power cut can
/// take (records it had synced and acknowledged go too). The majority still holds every acknowledged write, so none is
/// lost: the victim recovers what is whole, catches up from the leader, and every replica ends with the same state.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PowerLossTests
{
    [Theory]
    [InlineData(false, false, 1)] // a follower, cut at a record boundary
    [InlineData(true, false, 2)]  // a follower, cut inside a record
    [InlineData(true, true, 3)]   // the leader, cut inside a record
    [InlineData(false, true, 4)]  // the leader, cut at a record boundary
    public async Task MinorityLosesTheTailOfItsLog_NoAcknowledgedWriteIsLost_DigestsEqual(bool insideARecord, bool leaderIsVictim, int seed)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var random = new Random(seed);
        var acknowledged = new Dictionary<string, string>();
        await WriteAsync(cluster, acknowledged, "before", 200);

        var leader = await cluster.WaitForLeaderAsync();
        var victim = leaderIsVictim ? leader : cluster.Nodes.First(n => n != leader);
        await cluster.StopNodeAsync(victim.Index);

        var segment = Directory.GetFiles(victim.DataDirectory, "*.seg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Last();
        var boundaries = RecordBoundaries(segment);
        Assert.True(boundaries.Count > 10, $"{segment} holds {boundaries.Count - 1} records");
        var at = random.Next(boundaries.Count / 2, boundaries.Count - 1);
        var cut = insideARecord ? boundaries[at] + random.Next(1, (int)(boundaries[at + 1] - boundaries[at])) : boundaries[at];
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
            file.SetLength(cut);

        await WriteAsync(cluster, acknowledged, "while-down", 100);
        await cluster.StartNodeAsync(victim.Index);
        await WriteAsync(cluster, acknowledged, "after", 100);

        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        var digests = await cluster.DigestsAsync();
        Assert.Equal(3, digests.Count);
        Assert.All(digests, d => Assert.Equal(digests[0], d));

        var reader = await cluster.WaitForLeaderAsync();
        await using var client = await RespTestClient.ConnectAsync(reader.RespPort);
        foreach (var (key, value) in acknowledged)
            Assert.Equal(value, (await client.SendAsync("GET", key)).Text());
    }

    // Writes to whichever node leads; a write whose outcome is unknown (an election under load) is sent again (a SET of
    // the same value is idempotent), and only an OK counts as acknowledged.
    private static async Task WriteAsync(TestCluster cluster, Dictionary<string, string> acknowledged, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var key = $"{prefix}-{i}";
            var value = $"value-{prefix}-{i}-{new string('x', 200)}";
            for (var attempt = 0; ; attempt++)
            {
                var leader = await cluster.WaitForLeaderAsync();
                await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
                var reply = (await client.SendAsync("SET", key, value)).Text();
                if (reply == "OK")
                    break;
                Assert.True(attempt < 20, $"SET {key}: {reply}");
                await Task.Delay(100);
            }

            acknowledged[key] = value;
        }
    }

    // Offsets at which a record starts in a segment, and the end of the last whole one.
    private static List<long> RecordBoundaries(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        var boundaries = new List<long>();
        long offset = LogRecordFormat.SegmentHeaderSize;
        while (offset + LogRecordFormat.RecordHeaderSize <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset));
            var next = offset + LogRecordFormat.RecordHeaderSize + length;
            if (length == 0 && bytes.AsSpan((int)offset, LogRecordFormat.RecordHeaderSize).IndexOfAnyExcept((byte)0) < 0 || next > bytes.Length)
                break;
            boundaries.Add(offset);
            offset = next;
        }

        boundaries.Add(offset);
        return boundaries;
    }
}
