
namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The Lua sources that give a Lua 5.4 script the environment Redis 7.0 gives a Lua 5.1 script:
/// the 5.1 globals 5.4 lacks, then the <c>cjson</c>, <c>bit</c>, <c>struct</c> and <c>cmsgpack</c>
/// libraries (pure Lua, deterministic across processes; see docs/scripting-libraries.md).
/// </summary>
/// <remarks>
/// Load each source in list order into a state that has the base, string, table and math
/// libraries open: <c>compat51</c> defines globals and runs for its effects; each library chunk
/// returns its module table, which the caller stores in the global of the same <c>Name</c>.
/// The sources are embedded resources read once; the list is immutable and shared.
/// </remarks>
public static class ScriptLibraries
{
    /// <summary>The chunk that defines Lua 5.1 globals; it returns nothing.</summary>
    public const string Compat51 = "compat51";

    private static readonly string[] LoadOrder = [Compat51, "bit", "struct", "cjson", "cmsgpack"];

    /// <summary>(Name, Source) in load order: <c>compat51</c>, <c>bit</c>, <c>struct</c>, <c>cjson</c>, <c>cmsgpack</c>.</summary>
    public static IReadOnlyList<(string Name, string Source)> All { get; } = Array.AsReadOnly(LoadOrder.Select(Read).ToArray());

    private static (string Name, string Source) Read(string name)
    {
        var resource = $"RaftKV.StateMachine.Scripting.Libraries.{name}.lua";
        using var stream = typeof(ScriptLibraries).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded Lua library '{resource}' is missing from {typeof(ScriptLibraries).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return (name, reader.ReadToEnd());
    }
}
