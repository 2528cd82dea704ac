namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>Finds the RaftKV.Node build that matches this test build (same configuration).</summary>
internal static class NodeBinary
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Path { get; } = Find();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "RaftKV.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("RaftKV.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Find()
    {
        // tests/Integration.Tests/bin/<Configuration>/net10.0/
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = System.IO.Path.Combine(RepositoryRoot, "src", "Node", "bin", configuration, "net10.0", "RaftKV.Node.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build src/Node first", path);
    }
}
