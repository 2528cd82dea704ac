namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The script libraries provided as Lua sources (Redis's cjson, bit, struct, cmsgpack and the Lua 5.1 compatibility
/// shims), loaded into every new script state before its globals are protected. Empty until the Libraries folder
/// provides them: this is the one place that lists them for the engine.
/// </summary>
internal static class ScriptLibrarySources
{
    /// <summary>The libraries in load order: the global name each one's chunk result is stored under, and its source.</summary>
    public static IReadOnlyList<(string Name, byte[] Source)> All() => [];
}
