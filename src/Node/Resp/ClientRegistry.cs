using System.Collections.Concurrent;

namespace RaftKV.Node.Resp;

/// <summary>Every open RESP session of this node, for CLIENT LIST, INFO clients and pub/sub.</summary>
internal sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<long, ClientSession> _sessions = new();
    private long _lastId;

    public long NextId() => Interlocked.Increment(ref _lastId);

    public void Add(ClientSession session) => _sessions[session.Id] = session;

    public void Remove(ClientSession session) => _sessions.TryRemove(session.Id, out _);

    public int Count => _sessions.Count;

    /// <summary>The pause CLIENT PAUSE set on this node (none when its end has passed).</summary>
    public ClientPause Pause { get; } = new();

    /// <summary>Sessions ordered by id, so listings are stable.</summary>
    public IReadOnlyList<ClientSession> Snapshot() => _sessions.Values.OrderBy(static s => s.Id).ToList();
}
