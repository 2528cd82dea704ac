using System.Buffers;
using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Locks under random logs with batches, skipped indexes (entries the state machine never sees), clocks that jump
/// back and forth and new-leader lease extensions: replicas agree (one restored from a snapshot halfway), every
/// reply matches a deliberately naive reference model, and fencing tokens strictly increase.
/// </summary>
public sealed class LockDeterminismTests
{
    private static readonly string[] Names = ["a", "b", "c", "d", "e"];
    private static readonly string[] Owners = ["x", "y", "z"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TwoReplicas_OneRestoredFromSnapshot_EndIdentical_WithIncreasingTokens(int seed)
    {
        var log = RandomLog(new Random(seed), 3000);
        var steady = new KeyValueStore();
        var restarted = new KeyValueStore();
        var tokens = new HashSet<long>();
        long lastNewToken = 0;
        for (var i = 0; i < log.Count; i++)
        {
            if (i == log.Count / 2)
            {
                restarted = Restore(Snapshot(restarted, index: log[i - 1].Index)).Store;
            }

            foreach (var command in log[i].Commands)
            {
                // Each replica decodes its own copy of the command, as each node reads its own log.
                var encoded = LogEntryCodec.Encode(command);
                var steadyReply = steady.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded)), log[i].Index);
                var restartedReply = restarted.Apply(LogEntryCodec.Decode(new ReadOnlySequence<byte>(encoded)), log[i].Index);
                Assert.Equal(ReplyText.Render(steadyReply), ReplyText.Render(restartedReply));
                if (command.Command == CommandId.RaftkvLockAcquire && steadyReply is Protocol.Replies.IntegerReply { Value: var token } && tokens.Add(token))
                {
                    Assert.True(token > lastNewToken, $"token {token} after {lastNewToken}");
                    Assert.True(token >= log[i].Index, $"token {token} below its entry index {log[i].Index}");
                    lastNewToken = token;
                }
            }
        }

        Assert.True(tokens.Count > 50);
        Assert.Equal(steady.Digest(), restarted.Digest());
        Assert.Equal(Snapshot(steady), Snapshot(restarted));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void EveryReply_MatchesANaiveModel(int seed)
    {
        var random = new Random(seed);
        var log = RandomLog(random, 3000);
        var store = new KeyValueStore();
        var model = new LockModel();
        foreach (var entry in log)
        {
            foreach (var command in entry.Commands)
            {
                var actual = ReplyText.Render(store.Apply(command, entry.Index));
                if (model.Apply(command, entry.Index) is { } expected)
                {
                    Assert.Equal(expected, actual);
                }
            }

            var name = Names[random.Next(Names.Length)];
            var readAt = store.Now + random.Next(0, 2000);
            Assert.Equal(model.Owner(name, readAt), ReplyText.Render(store.Read(CommandId.RaftkvLockOwner, [B(name)], readAt)));
        }
    }

    private static List<RaftEntry> RandomLog(Random random, int count)
    {
        var log = new List<RaftEntry>();
        long time = 1_000_000;
        long index = 0;
        for (var i = 0; i < count; i++)
        {
            // Now and then an index the state machine never sees (a configuration entry).
            index += random.Next(10) == 0 ? 2 : 1;
            var size = random.Next(4) == 0 ? random.Next(2, 6) : 1;
            var commands = new List<LogCommand>();
            for (var j = 0; j < size; j++)
            {
                // Mostly forward, sometimes backwards (a new leader with a slower clock) or far ahead (a faster one).
                time += random.Next(25) switch
                {
                    0 => -1500,
                    1 => 4000,
                    _ => random.Next(-50, 300),
                };
                commands.Add(RandomCommand(random, time));
            }

            log.Add(new RaftEntry(index, commands));
        }

        return log;
    }

    private static LogCommand RandomCommand(Random random, long time)
    {
        string Name() => Names[random.Next(Names.Length)];
        string Owner() => Owners[random.Next(Owners.Length)];
        string Ttl() => random.Next(1, 3000).ToString(CultureInfo.InvariantCulture);
        var (command, arguments) = random.Next(30) switch
        {
            < 12 => (CommandId.RaftkvLockAcquire, new[] { Name(), Owner(), Ttl() }),
            < 18 => (CommandId.RaftkvLockRelease, [Name(), Owner()]),
            < 24 => (CommandId.RaftkvLockRefresh, [Name(), Owner(), Ttl()]),
            < 26 => (CommandId.Set, [Name(), Owner()]),
            < 28 => (CommandId.NoOp, []),
            _ => (CommandId.LockLeaseExtend, []),
        };
        return new LogCommand(command, time, (ulong)random.NextInt64(), [.. arguments.Select(B)]);
    }

    private sealed record RaftEntry(long Index, List<LogCommand> Commands);

    /// <summary>The lock semantics written as plainly as possible: one dictionary, no reclaiming, no indexes.</summary>
    private sealed class LockModel
    {
        private readonly Dictionary<string, Held> _locks = [];
        private long _now;
        private long _lastToken;

        /// <summary>The expected reply rendered as <see cref="ReplyText"/> does, or null for a command that is not a lock command.</summary>
        public string? Apply(LogCommand command, long index)
        {
            var previousNow = _now;
            _now = Math.Max(_now, command.TimestampMs);
            var args = command.Arguments.Select(a => System.Text.Encoding.UTF8.GetString(a)).ToArray();
            var live = args.Length > 0 && _locks.TryGetValue(args[0], out var held) && held.End > _now ? held : null;
            switch (command.Command)
            {
                case CommandId.RaftkvLockAcquire:
                    {
                        var ttl = long.Parse(args[2], CultureInfo.InvariantCulture);
                        if (live is not null)
                        {
                            if (live.Owner != args[1])
                            {
                                return "(error) LOCKED lock is held by another owner";
                            }

                            _locks[args[0]] = live with { End = Math.Max(live.End, _now + ttl), Ttl = ttl };
                            return "(integer) " + live.Token;
                        }

                        _lastToken = Math.Max(index, _lastToken + 1);
                        _locks[args[0]] = new Held(args[1], _lastToken, _now + ttl, ttl);
                        return "(integer) " + _lastToken;
                    }

                case CommandId.RaftkvLockRelease:
                    if (live is null)
                    {
                        return "(integer) 0";
                    }

                    if (live.Owner != args[1])
                    {
                        return "(error) NOTOWNER lock is held by another owner";
                    }

                    _locks.Remove(args[0]);
                    return "(integer) 1";

                case CommandId.RaftkvLockRefresh:
                    if (live is null)
                    {
                        return "(error) NOLOCK no such lock, or it has expired";
                    }

                    if (live.Owner != args[1])
                    {
                        return "(error) NOTOWNER lock is held by another owner";
                    }

                    var newTtl = long.Parse(args[2], CultureInfo.InvariantCulture);
                    _locks[args[0]] = live with { End = _now + newTtl, Ttl = newTtl };
                    return "(integer) " + live.Token;

                case CommandId.LockLeaseExtend:
                    var extended = 0;
                    foreach (var (name, lease) in _locks.ToList())
                    {
                        if (lease.End > previousNow && _now + lease.Ttl > lease.End)
                        {
                            _locks[name] = lease with { End = _now + lease.Ttl };
                            extended++;
                        }
                    }

                    return "(integer) " + extended;

                default:
                    return null;
            }
        }

        public string Owner(string name, long at)
        {
            at = Math.Max(at, _now);
            return _locks.TryGetValue(name, out var held) && held.End > at
                ? $"[\"{held.Owner}\", (integer) {held.Token}, (integer) {held.End - at}]"
                : "(nil)";
        }

        private sealed record Held(string Owner, long Token, long End, long Ttl);
    }
}
