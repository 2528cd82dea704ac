namespace RaftKV.StateMachine.Tests.Scripting;

/// <summary>The cases of LibrarySnippets.txt: a title, a Lua snippet and redis-server 7.0.15's reply to it.</summary>
internal static class LibrarySnippets
{
    public sealed record Case(string Title, int Line, string Snippet, string Expected);

    public static readonly string Path = System.IO.Path.Combine(AppContext.BaseDirectory, "Scripting", "LibrarySnippets.txt");

    public static IReadOnlyList<Case> Load()
    {
        var lines = File.ReadAllLines(Path);
        var cases = new List<Case>();
        string? title = null;
        var titleLine = 0;
        var snippet = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("--- ", StringComparison.Ordinal))
            {
                title = line[4..];
                titleLine = i + 1;
                snippet.Clear();
            }
            else if (line.StartsWith("=> ", StringComparison.Ordinal) && title is not null)
            {
                cases.Add(new Case(title, titleLine, string.Join("\n", snippet), line[3..]));
                title = null;
            }
            else if (title is not null)
            {
                snippet.Add(line);
            }
        }

        return cases;
    }
}
