using RaftKV.StateMachine.Tests.Support;

namespace RaftKV.StateMachine.Tests;

/// <summary>Runs every Scripts/*.txt file; each opens with a comment saying what it checks.</summary>
public sealed class ScriptTests
{
    private static readonly string ScriptDirectory = Path.Combine(AppContext.BaseDirectory, "Scripts");

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(ScriptDirectory, "*.txt").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_RepliesMatchExpected(string script)
    {
        var lines = File.ReadAllLines(Path.Combine(ScriptDirectory, script));
        Assert.StartsWith("#", lines[0]);
        var failures = new ScriptRunner().Run(script, lines);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
