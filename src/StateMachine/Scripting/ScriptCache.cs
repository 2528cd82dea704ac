using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// The replicated script cache (EVAL, SCRIPT LOAD add to it, SCRIPT FLUSH empties it): script bodies by their SHA1,
/// changed only by applied entries, kept in snapshots (in ordinal SHA order, so equal caches give equal bytes).
/// </summary>
internal sealed class ScriptCache
{
    private readonly SortedDictionary<string, byte[]> _bodies = new(StringComparer.Ordinal);

    public int Count => _bodies.Count;

    /// <summary>The bytes the cached bodies hold (INFO used_memory_scripts_eval).</summary>
    public long BodyBytes { get; private set; }

    public bool Contains(string sha) => _bodies.ContainsKey(sha);

    public bool TryGet(string sha, out byte[] body) => _bodies.TryGetValue(sha, out body!);

    public void Add(string sha, byte[] body)
    {
        if (_bodies.TryAdd(sha, body))
        {
            BodyBytes += body.Length + sha.Length;
        }
    }

    public void Clear()
    {
        _bodies.Clear();
        BodyBytes = 0;
    }

    /// <summary>The snapshot section: a count, then each body in ordinal SHA order (the SHA is recomputed on load).</summary>
    public void WriteTo(CanonicalWriter writer)
    {
        writer.WriteInt32(_bodies.Count);
        foreach (var body in _bodies.Values)
        {
            writer.WriteString(body);
        }
    }
}
