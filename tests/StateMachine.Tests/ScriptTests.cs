using RaftKV.StateMachine.Tests.Support;

namespace RaftKV.StateMachine.Tests;

/// <summary>Runs every Scripts/*.txt file; each opens with a comment saying what it checks.</summary>
public sealed class ScriptTests
{
    private static readonly string ScriptDirectory = Path.Combine(AppContext.BaseDirectory, "Scripts");

    /// <summary>Every script as the client sends it, and again in the leader's log form (<see cref="KeyValueStore.ToLogForm"/>).</summary>
    public static TheoryData<string, bool> Scripts()
    {
        var data = new TheoryData<string, bool>();
        foreach (var path in Directory.GetFiles(ScriptDirectory, "*.txt").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path), false);
            data.Add(Path.GetFileName(path), true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_RepliesMatchExpected(string script, bool logForm)
    {
        var lines = File.ReadAllLines(Path.Combine(ScriptDirectory, script));
        Assert.StartsWith("#", lines[0]);
        var failures = new ScriptRunner(logForm).Run(script, lines);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
