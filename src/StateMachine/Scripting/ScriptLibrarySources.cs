using System.Text;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The script libraries provided as Lua sources (Redis's cjson, bit, struct, cmsgpack and the Lua 5.1 compatibility
/// shims of <see cref="ScriptLibraries"/>), loaded into every new script state before its globals are protected: this
/// is the one place that lists them for the engine.
/// </summary>
internal static class ScriptLibrarySources
{
    private static readonly IReadOnlyList<(string Name, byte[] Source)> Sources =
        [.. ScriptLibraries.All.Select(static library => (library.Name, Encoding.UTF8.GetBytes(library.Source)))];

    /// <summary>The libraries in load order: the global name each one's chunk result is stored under, and its source.</summary>
    public static IReadOnlyList<(string Name, byte[] Source)> All() => Sources;
}
