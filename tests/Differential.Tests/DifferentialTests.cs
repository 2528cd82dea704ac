using System.Diagnostics;
using RaftKV.Differential.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RaftKV.Differential.Tests;

/// <summary>
/// RaftKV against a real redis-server 7.0 (the reference), command for command: seeded random commands over
/// all five types, and the per-type scripts of the state machine tests. A mismatch fails with the shortest
/// command sequence found that reproduces it. After the random run, all three replicas must have equal digests.
/// </summary>
public sealed class DifferentialTests(Servers servers, ITestOutputHelper output) : IClassFixture<Servers>
{
    private const int RandomCommands = 20_000;

    [Fact]
    public void RandomCommands_ReplyAsRedisDoes_AndReplicasAgree()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RAFTKV_DIFF_SEED"), out var s) ? s : 20240604;
        var runner = new DifferentialRunner(servers);
        runner.Reset();
        var commands = new CommandGenerator(seed).Generate(RandomCommands);
        var watch = Stopwatch.StartNew();
        var mismatch = runner.FindMismatch(commands);
        output.WriteLine($"{commands.Count} commands (seed {seed}) in {watch.Elapsed.TotalSeconds:F1} s");
        if (mismatch is not null)
        {
            var failing = commands.Take(mismatch.Index + 1).ToList();
            var shrunk = runner.Shrink(failing, TimeSpan.FromSeconds(90));
            runner.Reset();
            var final = runner.FindMismatch(shrunk) ?? mismatch;
            Assert.Fail($"Command {mismatch.Index} of seed {seed} differs.\nShortest failing sequence ({shrunk.Count} commands):\n"
                + DifferentialRunner.Describe(shrunk)
                + $"\nredis:  {final.Expected.Render()}\nraftkv: {final.Actual.Render()}");
        }

        var digests = servers.ReplicaDigests(TimeSpan.FromSeconds(20));
        Assert.True(digests.Distinct().Count() == 1, "Replica digests differ: " + string.Join(", ", digests));
        Assert.NotEqual("0000000000000000000000000000000000000000", digests[0]);
    }

    /// <summary>
    /// Commands of features RaftKV has one of, or none, answered as redis-server answers them configured alike (one
    /// database, no modules, no cluster): they answered unknown command before.
    /// </summary>
    [Fact]
    public void SingleDatabase_NoModules_NoCluster_ReplyAsRedisDoes()
    {
        var runner = new DifferentialRunner(servers);
        runner.Reset();
        string[] lines =
        [
            "set k v", "move k 0", "move k 1", "move k x", "move missing 0", "swapdb 0 0", "swapdb 0 1", "swapdb 1 0", "swapdb x 0",
            "swapdb 0 y", "select 1", "select 0", "get k", "lolwut", "lolwut version x", "module list", "module help", "module load /tmp/x.so",
            "module loadex /tmp/x.so", "module unload foo", "module bogus", "module", "asking",
        ];
        var commands = lines.Select(static line => ScriptLine.Split(line)).ToList();
        var mismatch = runner.FindMismatch(commands);
        Assert.True(mismatch is null, mismatch is null ? string.Empty
            : $"{DifferentialRunner.Describe([commands[mismatch.Index]])}\nredis:  {mismatch.Expected.Render()}\nraftkv: {mismatch.Actual.Render()}");
    }

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(ScriptDirectory(), "*.txt").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            // Redis knows no RAFTKV.* command (locks.txt): such scripts have no reference to compare with. Scripts that
            // note where RaftKV differs on purpose (scripting-eval.txt: Lua 5.4's wording, canonical pairs order) neither.
            if (!name.StartsWith("keys-", StringComparison.Ordinal) && !name.StartsWith("strings-", StringComparison.Ordinal)
                && !File.ReadLines(path).Any(line => line.StartsWith("> RAFTKV.", StringComparison.OrdinalIgnoreCase)
                                                     || line.StartsWith("# RaftKV differs", StringComparison.Ordinal)))
            {
                data.Add(name);
            }
        }

        return data;
    }

    /// <summary>
    /// Replays a state-machine script's commands (lines starting with "> ") against both servers. Scripts of
    /// the collection types use no clock or snapshot directives, so both sides see the same commands.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_RepliesAsRedisDoes(string script)
    {
        var runner = new DifferentialRunner(servers);
        runner.Reset();
        var commands = Compared(File.ReadAllLines(Path.Combine(ScriptDirectory(), script)))
            .Select(line => ScriptLine.Split(line[2..]))
            .ToList();
        var mismatch = runner.FindMismatch(commands);
        Assert.True(mismatch is null, mismatch is null ? string.Empty
            : $"{script}: {DifferentialRunner.Describe([commands[mismatch.Index]])}\nredis:  {mismatch.Expected.Render()}\nraftkv: {mismatch.Actual.Render()}");
    }

    /// <summary>
    /// The command lines to compare: all but those under a "# RaftKV differs" comment, which document a known difference
    /// from redis-server (such a command must leave the state as Redis does: a refused load, a read, a failed call).
    /// </summary>
    private static IEnumerable<string> Compared(string[] lines)
    {
        var differs = false;
        foreach (var line in lines.Select(static l => l.Trim()))
        {
            if (line.StartsWith("# RaftKV differs", StringComparison.Ordinal))
            {
                differs = true;
            }
            else if (line.StartsWith("> ", StringComparison.Ordinal))
            {
                if (!differs)
                    yield return line;
                differs = false;
            }
        }
    }

    private static string ScriptDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var scripts = Path.Combine(directory.FullName, "tests", "StateMachine.Tests", "Scripts");
            if (Directory.Exists(scripts))
            {
                return scripts;
            }
        }

        throw new DirectoryNotFoundException("tests/StateMachine.Tests/Scripts not found.");
    }
}
