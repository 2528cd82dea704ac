using System.Globalization;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftKV.Node.Raft;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.Node.Tests;

/// <summary>
/// Issue 6 (Scale): DotNext's SimpleStateMachine made every apply wait until a snapshot was written (0.8 s at 43 MB,
/// about 40 s at 1 GB). KvStateMachine writes snapshots in slices while entries keep being applied, and publishes the
/// file (what the log compacts up to) only once it is complete. The snapshot writer is held between slices here, so
/// the test shows applies finishing while a snapshot is unfinished, without timing anything.
/// </summary>
public sealed class SnapshotWhileApplyingTests : IDisposable
{
    private const long SnapshotAt = 50;
    private const long Last = 90;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "raftkv-cowsnap-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Applies_FinishWhileASnapshotIsWritten_AndTheFileHoldsTheStateAtItsIndex()
    {
        using var gate = new ManualResetEventSlim(false);
        var slices = 0;
        await using (var node = await WalNode.OpenAsync(_directory, SnapshotAt, sliceKeys: 3))
        {
            node.StateMachine.BetweenSlices = () =>
            {
                Interlocked.Increment(ref slices);
                Assert.True(gate.Wait(TimeSpan.FromSeconds(30)), "the test never opened the gate");
            };

            // Entry 50 starts a snapshot (interval 50); its writer then stops after the first slice.
            for (var index = 1; index <= SnapshotAt; index++)
                await node.AppendAsync(index, 1, Command(index));
            await node.CommitAsync(SnapshotAt);

            // Forty more entries, overwriting and deleting keys the snapshot has not reached, all applied meanwhile.
            for (var index = SnapshotAt + 1; index <= Last; index++)
                await node.AppendAsync(index, 1, Command(index));
            await node.CommitAsync(Last);
            Assert.True(node.StateMachine.IsSnapshotting);
            Assert.Null(((ISnapshotManager)node.StateMachine).Snapshot);
            Assert.Equal(0, node.StateMachine.SnapshotsWritten);

            gate.Set();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (node.StateMachine.SnapshotsWritten == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(10);

            Assert.True(slices >= 3, $"only {slices} slices");
            Assert.Equal(SnapshotAt, node.StateMachine.SnapshotIndex);
            Assert.True(node.StateMachine.LastSnapshotPreImages > 0, "no write reached a key before the snapshot did");
            var file = Path.Combine(_directory, "snapshots", SnapshotFile.NameOf(SnapshotAt, 1));
            await using (var stream = File.OpenRead(file))
                Assert.Equal(Expected(SnapshotAt), SnapshotReader.Read(stream).Store.Digest());
            Assert.Equal(Expected(Last), node.Digest());
        }

        // A restart loads the snapshot and replays the log after it, up to the commit index the leader's next
        // AppendEntries brings (the log keeps none).
        await using var reopened = await WalNode.OpenAsync(_directory, SnapshotAt, sliceKeys: 3);
        await reopened.HeartbeatAsync(Last);
        await reopened.CommitAsync(Last).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, reopened.StateMachine.RestoreCount);
        Assert.Equal(Expected(Last), reopened.Digest());
    }

    [Fact]
    public async Task LargeValues_AreWrittenInSlicesOfAboutAQuarterMegabyte_NotOfTheDefaultKeyCount()
    {
        // 300 keys of 16 KB: within one slice of the default 2,048 keys, which would hold the apply lock for all 4.8 MB.
        const int Keys = 300;
        var slices = 0;
        await using var node = await WalNode.OpenAsync(_directory, Keys);
        node.StateMachine.BetweenSlices = () => Interlocked.Increment(ref slices);
        var value = new string('v', 16 * 1024);
        for (var index = 1; index <= Keys; index++)
            await node.AppendAsync(index, 1, WalNode.Set("key" + index.ToString(CultureInfo.InvariantCulture), value));
        await node.CommitAsync(Keys);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (node.StateMachine.SnapshotsWritten == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(10);

        Assert.Equal(Keys, node.StateMachine.SnapshotIndex);
        Assert.InRange(slices, 8, 60);
    }

    // Entry i writes key k(i mod 20), and every seventh entry deletes one instead.
    private static LogCommand Command(long index)
    {
        var key = Encoding.UTF8.GetBytes("k" + (index % 20).ToString(CultureInfo.InvariantCulture));
        return index % 7 == 0
            ? new LogCommand(CommandId.Del, 1_700_000_000_000 + index, 0, [key])
            : new LogCommand(CommandId.Set, 1_700_000_000_000 + index, 0, [key, Encoding.UTF8.GetBytes("v" + index.ToString(CultureInfo.InvariantCulture))]);
    }

    private static byte[] Expected(long upTo)
    {
        var store = new KeyValueStore();
        for (var index = 1; index <= upTo; index++)
            store.Apply(Command(index), index);
        return store.Digest();
    }
}
