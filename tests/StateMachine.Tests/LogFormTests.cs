using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// DESIGN "Determinism rules": relative TTLs become absolute on the leader before the entry is written.
/// <see cref="KeyValueStore.ToLogForm"/> must never change what the client sees: applying the rewritten
/// entry at the entry's time gives the same reply and the same state as applying the original.
/// </summary>
public sealed class LogFormTests
{
    private const long Time = 1_700_000_000_000;

    public static TheoryData<string> Commands() =>
    [
        "EXPIRE s 100", "EXPIRE s 100 NX", "EXPIRE t 100 NX", "EXPIRE t 100 XX", "EXPIRE t 100 GT", "EXPIRE t 100000 GT",
        "EXPIRE t 100 LT", "EXPIRE s 100 LT", "EXPIRE s 100 GT", "EXPIRE s 100 xx gt", "EXPIRE s 0", "EXPIRE s -5",
        "EXPIRE s -9223372036854775", "EXPIRE missing 10", "EXPIRE l 10", "EXPIRE s abc", "EXPIRE s 10 FOO",
        "EXPIRE s 10 NX XX", "EXPIRE s 10 GT LT", "EXPIRE s 9223372036854775", "EXPIRE s 9223372036854776",
        "EXPIRE s 9223370336854775", "EXPIRE s 9223370336854776",
        "PEXPIRE s 1", "PEXPIRE s 1500 XX", "PEXPIRE t 1 LT", "PEXPIRE s -9223372036854775808", "PEXPIRE s 9223372036854775807",
        "PEXPIRE s 9223372036854775807 NX", "PEXPIRE s 9223372036854775800 FOO", "PEXPIRE s 9223372036854775800", "PEXPIRE s 9223370336854775807", "PEXPIRE s 9223370336854775808", "GETEX s PX 9223370336854775807", "GETEX s PX 9223370336854775808",
        "PEXPIRE missing 5", "PEXPIRE s 2300000000000",
        "EXPIREAT s 1700000001", "PEXPIREAT s 1700000000001", "PERSIST t",
        "SETEX k 100 v", "SETEX s 1 v", "SETEX l 100 v", "SETEX k 0 v", "SETEX k -1 v", "SETEX k abc v",
        "SETEX k 9223372036854775 v", "SETEX k 9223370336854775 v", "SETEX k 9223370336854776 v",
        "PSETEX k 1 v", "PSETEX t 100 v", "PSETEX k 0 v", "PSETEX k 9223372036854775807 v", "PSETEX k 9223372036854775000 v",
        "SET k v EX 100", "SET s v EX 100 GET", "SET l v EX 100 GET", "SET s v NX PX 5", "SET k v NX PX 5",
        "SET s v XX px 5 px 10", "SET s v GET XX EX 10 ex 20", "SET s v EX 100 NX GET", "SET k v EX 9223372036854775",
        "SET k v EX 9223370336854775", "SET k v EX 9223370336854776", "SET k v PX 9223372036854775807", "SET k v EX 0",
        "SET k v EX abc", "SET k v EX 10 KEEPTTL", "SET k v EXAT 5", "SET t v KEEPTTL", "SET t v", "SET k v EX 10 PX 10",
        "GETEX s EX 100", "GETEX t PX 1", "GETEX s px 5 PX 7", "GETEX l EX 100", "GETEX missing EX abc", "GETEX missing EX 100",
        "GETEX s EX abc", "GETEX s EX 0", "GETEX s EX 9223372036854775", "GETEX s PX 9223372036854775807",
        "GETEX s EX 10 PERSIST", "GETEX t PERSIST", "GETEX t EXAT 1", "GETEX t", "GETEX s FOO",
        "GET s", "DEL t", "INCR s",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void AppliedInLogForm_GivesTheSameReplyAndState(string line)
    {
        var command = Command(line);
        var rewritten = KeyValueStore.ToLogForm(command);
        var original = Prepared();
        var logged = Prepared();
        var expected = ReplyText.Render(original.Apply(command));
        var actual = ReplyText.Render(logged.Apply(rewritten));
        Assert.Equal(expected, actual);
        Assert.Equal(original.Digest(), logged.Digest());
        Assert.Equal(Snapshot(original), Snapshot(logged));
        Assert.Equal(command.TimestampMs, rewritten.TimestampMs);
        Assert.Equal(command.Seed, rewritten.Seed);
    }

    [Theory]
    [InlineData("EXPIRE s 100", "PEXPIREAT s 1700000100000")]
    [InlineData("EXPIRE s -5 xx GT", "PEXPIREAT s 1699999995000 xx GT")]
    [InlineData("PEXPIRE s 1", "PEXPIREAT s 1700000000001")]
    [InlineData("SETEX k 100 v", "SET k v PXAT 1700000100000")]
    [InlineData("PSETEX k 7 v", "SET k v PXAT 1700000000007")]
    [InlineData("SET k v EX 100", "SET k v PXAT 1700000100000")]
    [InlineData("SET k v nx px 5 GET", "SET k v nx GET PXAT 1700000000005")]
    [InlineData("SET k v EX 5 ex 7", "SET k v PXAT 1700000007000")]
    [InlineData("GETEX k EX 2", "GETEX k PXAT 1700000002000")]
    [InlineData("GETEX k px 5 PX 7", "GETEX k PXAT 1700000000007")]
    [InlineData("EXPIRE s 9223370336854775", "PEXPIREAT s 9223372036854775000")]
    [InlineData("SET k v PX 9223370336854775807", "SET k v PXAT 9223372036854775807")]
    public void RelativeTimes_BecomeAbsoluteAtTheEntryTime(string line, string expected)
    {
        var rewritten = KeyValueStore.ToLogForm(Command(line));
        Assert.Equal(expected, Render(rewritten));
    }

    [Theory]
    [InlineData("EXPIRE s 9223372036854775")]
    [InlineData("PEXPIRE s 9223372036854775000")]
    [InlineData("EXPIRE s abc")]
    [InlineData("EXPIRE s 10 FOO")]
    [InlineData("SETEX k 0 v")]
    [InlineData("SET k v EX 9223372036854775")]
    [InlineData("SET k v EX 10 KEEPTTL")]
    [InlineData("GETEX k EX abc")]
    [InlineData("GETEX k EX 10 PERSIST")]
    [InlineData("EXPIREAT s 100")]
    [InlineData("PEXPIREAT s 100")]
    [InlineData("SET k v PXAT 100")]
    [InlineData("SET k v KEEPTTL")]
    [InlineData("GETEX k PERSIST")]
    [InlineData("GET k")]
    [InlineData("EXPIRE s 9223370336854776")]
    [InlineData("SETEX k 9223370336854776 v")]
    [InlineData("GETEX k PX 9223370336854775808")]
    public void AbsoluteOrFailingCommands_AreLeftAsTheyAre(string line)
    {
        var command = Command(line);
        Assert.Same(command, KeyValueStore.ToLogForm(command));
    }

    [Fact]
    public void LogForm_FixesTheExpiry_WhenTheEntryAppliesLaterThanItsTimestamp()
    {
        // A new leader whose clock is behind the last applied entry: the clamped "now" is later than the
        // entry's timestamp. The rewritten entry keeps the leader's absolute time; the relative one would
        // count from the clamped clock. Both replicas of the rewritten form agree either way.
        var store = new KeyValueStore();
        store.Apply(CommandId.NoOp, 5000);
        store.Apply(KeyValueStore.ToLogForm(new LogCommand(CommandId.Set, 1000, 0, [B("k"), B("v"), B("PX"), B("10000")])));
        Assert.Equal("(integer) 11000", ReplyText.Render(store.Read(CommandId.Pexpiretime, [B("k")], 5000)));
    }

    private static KeyValueStore Prepared()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, Time, "s", "1");
        store.Apply(CommandId.Set, Time, "t", "2", "PXAT", (Time + 50_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        store.Apply(CommandId.Rpush, Time, "l", "a", "b");
        return store;
    }

    private static LogCommand Command(string line)
    {
        var words = line.Split(' ');
        Assert.True(CommandTable.TryGet(Encoding.ASCII.GetBytes(words[0]), out var spec));
        return new LogCommand(spec.Id, Time, 17, [.. words[1..].Select(B)]);
    }

    private static string Render(LogCommand command)
    {
        Assert.True(CommandTable.TryGet(command.Command, out var spec));
        return string.Join(' ', [spec.Name.ToUpperInvariant(), .. command.Arguments.Select(Encoding.ASCII.GetString)]);
    }
}
