using System.Buffers;
using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The replication promise (DESIGN "Determinism rules"): replicas fed the same entries reach the same
/// state and replies, also when one of them restarts from a snapshot halfway.
/// </summary>
public sealed class DeterminismTests
{
    private static readonly CommandId[] Writes =
    [
        CommandId.Set, CommandId.Setnx, CommandId.Getset, CommandId.Getdel, CommandId.Mset, CommandId.Msetnx,
        CommandId.Append, CommandId.Incr, CommandId.Decr, CommandId.Incrby, CommandId.Decrby, CommandId.Incrbyfloat,
        CommandId.Setrange, CommandId.Del, CommandId.Unlink, CommandId.Rename, CommandId.Renamenx, CommandId.NoOp,
        CommandId.Get, CommandId.Keys, CommandId.Scan, CommandId.Exists, CommandId.Flushdb,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TwoReplicas_OneRestoredFromSnapshot_EndIdentical(int seed)
    {
        var entries = RandomEntries(new Random(seed), 4000);
        var steady = new KeyValueStore();
        var restarted = new KeyValueStore();
        for (var i = 0; i < entries.Count; i++)
        {
            if (i == entries.Count / 2)
            {
                restarted = Restore(Snapshot(restarted)).Store;
            }

            // Each replica decodes its own copy of the entry, as each node reads its own log.
            var encoded = LogEntryCodec.Encode(entries[i]);
            var steadyReply = ReplyText.Render(steady.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded))));
            var restartedReply = ReplyText.Render(restarted.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded))));
            Assert.Equal(steadyReply, restartedReply);
            Assert.Equal(steady.Now, restarted.Now);
        }

        Assert.True(steady.KeyCount > 0);
        Assert.Equal(steady.Digest(), restarted.Digest());
        Assert.Equal(Snapshot(steady), Snapshot(restarted));
    }

    private static List<LogCommand> RandomEntries(Random random, int count)
    {
        var entries = new List<LogCommand>();
        long time = 1_000_000;
        for (var i = 0; i < count; i++)
        {
            // Mostly forward, sometimes backwards (a new leader with a slower clock): the store's clock must never go back.
            time += random.Next(20) == 0 ? -1500 : random.Next(-50, 400);
            var command = Writes[random.Next(Writes.Length)];
            if (command == CommandId.Flushdb && random.Next(10) != 0)
            {
                command = CommandId.Set;
            }

            entries.Add(new LogCommand(command, time, (ulong)random.NextInt64(), [.. Arguments(random, command, time).Select(B)]));
        }

        return entries;
    }

    private static IEnumerable<string> Arguments(Random random, CommandId command, long time)
    {
        string Key() => "k" + random.Next(24).ToString(CultureInfo.InvariantCulture);
        string Number() => random.Next(-100, 100).ToString(CultureInfo.InvariantCulture);
        return command switch
        {
            CommandId.Set => random.Next(4) switch
            {
                0 => [Key(), Number(), "PX", random.Next(1, 3000).ToString(CultureInfo.InvariantCulture)],
                1 => [Key(), Number(), "PXAT", (time + random.Next(-500, 3000)).ToString(CultureInfo.InvariantCulture), "GET"],
                2 => [Key(), "v" + Number(), random.Next(2) == 0 ? "NX" : "XX", "KEEPTTL"],
                _ => [Key(), Number()],
            },
            CommandId.Mset or CommandId.Msetnx => [Key(), Number(), Key(), Number()],
            CommandId.Incrby or CommandId.Decrby or CommandId.Getset or CommandId.Setnx or CommandId.Append => [Key(), Number()],
            CommandId.Incrbyfloat => [Key(), Number() + ".25"],
            CommandId.Setrange => [Key(), random.Next(0, 8).ToString(CultureInfo.InvariantCulture), "xy"],
            CommandId.Del or CommandId.Unlink or CommandId.Exists => [Key(), Key()],
            CommandId.Rename or CommandId.Renamenx => [Key(), Key()],
            CommandId.Keys => ["k1*"],
            CommandId.Scan => ["0", "COUNT", "5"],
            CommandId.NoOp or CommandId.Flushdb => [],
            _ => [Key()],
        };
    }
}
