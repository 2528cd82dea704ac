using System.Collections;
using System.Globalization;

namespace RaftKV.Node.Diagnostics;

/// <summary>
/// The scope every log line of a node carries (<see cref="NodeScopedLoggerFactory"/>): <c>Node</c> (NodeId, or the Raft
/// endpoint) and <c>Term</c> (the Raft term when the line is written, 0 before the Raft node exists). The console's
/// simple and systemd formats print it as <c>=&gt; node=... term=...</c> when <c>IncludeScopes</c> is on; the JSON format
/// writes both as properties of the line's <c>Scopes</c>. The term is read when a line is formatted, not when the
/// scope began, so one instance serves the node's whole life.
/// </summary>
internal sealed class NodeLogScope(string node) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private Func<long>? _term;

    public string Node { get; } = node;

    public long Term => Volatile.Read(ref _term) is { } term ? term() : 0;

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Node", Node),
        1 => new("Term", Term),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Called once by the Raft host when its cluster exists: where the term is read from.</summary>
    public void TermFrom(Func<long> term) => Volatile.Write(ref _term, term);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"node={Node} term={Term}");
}
