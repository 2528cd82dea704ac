namespace RaftKV.StateMachine.Tests.Scripting;

/// <summary>
/// Every snippet of LibrarySnippets.txt gives, with RaftKV's Lua 5.4 libraries, the reply
/// redis-server 7.0.15 gave (recorded by record-snippets.py). Each runs in a fresh state, as the
/// recorder runs each after SCRIPT FLUSH.
/// </summary>
public sealed class LibrarySnippetTests
{
    public static TheoryData<string> Titles()
    {
        var data = new TheoryData<string>();
        foreach (var c in LibrarySnippets.Load())
            data.Add(c.Title);
        return data;
    }

    [Fact]
    public void SnippetFile_HasAtLeastSixtyRecordedCasesWithUniqueTitles()
    {
        var cases = LibrarySnippets.Load();
        Assert.True(cases.Count >= 60, $"only {cases.Count} cases");
        Assert.DoesNotContain(cases, static c => c.Expected == "?");
        Assert.Equal(cases.Count, cases.Select(static c => c.Title).Distinct(StringComparer.Ordinal).Count());
        foreach (var library in new[] { "cjson", "bit", "struct", "cmsgpack", "compat51" })
            Assert.Contains(cases, c => c.Title.StartsWith(library + " ", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Titles))]
    public void Snippet_RepliesAsRedis(string title)
    {
        var c = LibrarySnippets.Load().Single(x => x.Title == title);
        using var state = new LuaLibraryState();
        var actual = state.Eval(c.Snippet);
        Assert.True(c.Expected == actual, $"LibrarySnippets.txt:{c.Line} {c.Title}\nredis:  {c.Expected}\nraftkv: {actual}");
    }
}
