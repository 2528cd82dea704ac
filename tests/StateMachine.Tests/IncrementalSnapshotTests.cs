using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A snapshot written in slices while entries are applied between them (copy-on-write) must hold exactly the bytes
/// of a stop-the-world snapshot taken at its start. The workload replays every write command of the data-driven
/// scripts (and the internal ones), so a command that changes a key without telling the keyspace first fails here.
/// </summary>
public sealed class IncrementalSnapshotTests
{
    private static readonly Lazy<List<(CommandId Id, byte[][] Arguments)>> Corpus = new(LoadCorpus);

    [Fact]
    public void Corpus_CoversEveryWriteCommand()
    {
        var present = Corpus.Value.Select(static request => request.Id).ToHashSet();
        var missing = CommandTable.All
            .Where(static spec => CommandValidator.Find(spec.Id) is { IsWrite: true } && spec.Id is not (CommandId.Publish or CommandId.Spublish))
            .Where(spec => !present.Contains(spec.Id))
            .Select(static spec => spec.Id.ToString())
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Slices_InterleavedWithWrites_GiveTheBytesOfTheStartState(int seed)
    {
        var random = new Random(seed);
        var workload = new Workload(random);
        workload.Populate(keys: 1500);

        var expected = Snapshot(workload.Store, index: 90, term: 4);
        var digestAtStart = workload.Store.Digest();
        var snapshot = workload.Store.BeginSnapshot(90, 4);
        using var output = new MemoryStream();
        var slices = 0;
        do
        {
            // A FLUSHALL ends copy-on-write (nothing can reach the old keys): allow one only once the writes raced the
            // snapshot, or an early one (which the corpus's size and the seed decide) leaves nothing to check.
            workload.AllowFlush = snapshot.PreImagesSaved > 10;
            for (var n = random.Next(0, 12); n > 0; n--)
            {
                workload.ApplyRandom();
            }

            slices++;
            snapshot.Drain(output);
        }
        while (!snapshot.Advance(random.Next(1, 60)));

        snapshot.Drain(output);
        Assert.True(slices > 20, $"only {slices} slices");
        Assert.True(snapshot.PreImagesSaved > 10, $"only {snapshot.PreImagesSaved} pre-images: the workload barely raced the snapshot");
        Assert.NotEqual(digestAtStart, workload.Store.Digest());
        Assert.Equal(expected, output.ToArray());

        // Copy-on-write has ended: the next snapshot, unsliced, reflects every write since.
        Assert.Equal(Snapshot(workload.Store, index: 91, term: 4), Whole(workload.Store.BeginSnapshot(91, 4)));
    }

    [Fact]
    public void FlushAll_MidSnapshot_KeepsTheStartState()
    {
        var workload = new Workload(new Random(7));
        workload.Populate(keys: 800);
        var expected = Snapshot(workload.Store);
        var snapshot = workload.Store.BeginSnapshot(7, 3);
        using var output = new MemoryStream();
        snapshot.Advance(100);
        workload.Store.Apply(CommandId.Set, workload.Now, "after-1", "x");
        workload.Store.Apply(CommandId.Flushall, workload.Now);
        workload.Store.Apply(CommandId.Set, workload.Now, "after-2", "y");
        Assert.False(snapshot.Advance(100));
        workload.Store.Apply(CommandId.Del, workload.Now, "after-2");
        while (!snapshot.Advance(100))
        {
            workload.Store.Apply(CommandId.Set, workload.Now, "after-3", "z");
        }

        snapshot.Drain(output);
        Assert.Equal(expected, output.ToArray());
        Assert.Equal(1, workload.Store.KeyCount);
    }

    [Fact]
    public void Locks_ChangedMidSnapshot_AreWrittenAsAtTheStart()
    {
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.RaftkvLockAcquire, 1000, 0, [B("a"), B("me"), B("5000")]), 10);
        store.Apply(CommandId.Set, 1000, "k", "v");
        var expected = Snapshot(store);
        var snapshot = store.BeginSnapshot(7, 3);
        store.Apply(new LogCommand(CommandId.RaftkvLockRelease, 1001, 0, [B("a"), B("me")]), 11);
        store.Apply(new LogCommand(CommandId.RaftkvLockAcquire, 1002, 0, [B("b"), B("you"), B("5000")]), 12);
        Assert.Equal(expected, Whole(snapshot));
    }

    [Fact]
    public void Abandon_EndsCopyOnWrite_AndAllowsANewSnapshot()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1, "k", "v");
        var first = store.BeginSnapshot(1, 1);
        Assert.Throws<InvalidOperationException>(() => store.BeginSnapshot(2, 1));
        first.Abandon();
        store.Apply(CommandId.Set, 2, "k", "w");
        Assert.Equal(0, first.PreImagesSaved);
        Assert.Equal(Snapshot(store, 2, 1), Whole(store.BeginSnapshot(2, 1)));
    }

    private static byte[] Whole(IncrementalSnapshot snapshot)
    {
        using var output = new MemoryStream();
        while (!snapshot.Advance(1000))
        {
        }

        snapshot.Drain(output);
        return output.ToArray();
    }

    // Every write command line of the scripts, plus the internal entries no script sends.
    private static List<(CommandId Id, byte[][] Arguments)> LoadCorpus()
    {
        var corpus = new List<(CommandId, byte[][])>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Scripts"), "*.txt").Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                if (!line.StartsWith("> ", StringComparison.Ordinal))
                {
                    continue;
                }

                var request = ScriptArguments.Split(line[2..]);
                if (CommandTable.TryGet(request[0], out var spec) && spec.IsWrite)
                {
                    corpus.Add((spec.Id, request[1..]));
                }
            }
        }

        corpus.Add((CommandId.ExpireSweep, []));
        return corpus;
    }

    /// <summary>A store under a mixed write load: script commands on their own keys, and edits of many generated keys.</summary>
    private sealed class Workload(Random random)
    {
        private int _keys;

        public KeyValueStore Store { get; } = new();

        public long Now { get; private set; } = 1_000_000;

        /// <summary>Whether the corpus's FLUSHDB and FLUSHALL may run (1 time in 20 they are picked).</summary>
        public bool AllowFlush { get; set; } = true;

        public void Populate(int keys)
        {
            _keys = keys;
            foreach (var request in Corpus.Value.Where(static r => r.Id is not (CommandId.Flushdb or CommandId.Flushall)))
            {
                Apply(request);
            }

            for (var i = 0; i < keys; i++)
            {
                Apply(Generated(i % 5, i));
            }
        }

        public void ApplyRandom()
        {
            Now += random.Next(0, 40);
            switch (random.Next(10))
            {
                case < 4:
                    Apply(Corpus.Value[random.Next(Corpus.Value.Count)]);
                    break;
                case 4:
                    Store.Apply(new LogCommand(CommandId.LockLeaseExtend, Now, 0, []), 0);
                    break;
                default:
                    Apply(Generated(random.Next(12), random.Next(_keys + 50)));
                    break;
            }
        }

        private void Apply((CommandId Id, byte[][] Arguments) request)
        {
            var (id, arguments) = request;
            if (id == CommandId.ExpireSweep)
            {
                arguments = [.. Store.ExpiredKeys(Now, 8)];
            }
            else if (id is CommandId.Flushdb or CommandId.Flushall && (random.Next(20) != 0 || !AllowFlush))
            {
                return;
            }

            if (KeyValueStore.Validate(id, arguments) is null)
            {
                Store.Apply(new LogCommand(id, Now, (ulong)random.NextInt64(), arguments), random.Next(1, 1000));
            }
        }

        private (CommandId, byte[][]) Generated(int kind, int i)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            var other = random.Next(_keys + 50).ToString(CultureInfo.InvariantCulture);
            var ttl = (Now + random.Next(1, 400)).ToString(CultureInfo.InvariantCulture);
            string[] words = kind switch
            {
                0 => random.Next(3) == 0 ? ["set", "key:" + n, "v" + n, "PXAT", ttl] : ["set", "key:" + n, new string('v', random.Next(1, 40))],
                1 => ["rpush", "key:" + n, "a", "b" + n],
                2 => ["sadd", "key:" + n, "m" + n, "x"],
                3 => ["hset", "key:" + n, "f", n, "g", "1"],
                4 => ["zadd", "key:" + n, n, "m", "2.5", "z"],
                5 => ["del", "key:" + n],
                6 => ["pexpireat", "key:" + n, ttl],
                7 => ["persist", "key:" + n],
                8 => ["rename", "key:" + n, "key:" + other],
                9 => ["copy", "key:" + n, "key:" + other, "REPLACE"],
                10 => ["append", "key:" + n, "+"],
                _ => ["lpush", "key:" + n, "p"],
            };
            CommandTable.TryGet(B(words[0]), out var spec);
            return (spec!.Id, [.. words[1..].Select(B)]);
        }
    }
}
