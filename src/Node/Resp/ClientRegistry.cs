using System.Collections.Concurrent;

namespace RaftKV.Node.Resp;

/// <summary>Every open RESP session of this node, for CLIENT LIST, INFO clients and pub/sub.</summary>
internal sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<long, ClientSession> _sessions = new();
    private long _lastId;
    private long _received;

    public long NextId() => Interlocked.Increment(ref _lastId);

    public void Add(ClientSession session)
    {
        _sessions[session.Id] = session;
        Interlocked.Increment(ref _received);
    }

    /// <summary>Connections accepted since start (Redis: total_connections_received), forwarding connections included.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>
    /// Clients blocked in a blocking command on this node, or held by CLIENT PAUSE (as Redis counts them). A follower's
    /// forwarding session on the leader is not counted: its client is counted on the follower it is connected to, so each
    /// client counts once.
    /// </summary>
    public int Blocked => _sessions.Values.Count(static s => (s.IsBlocked || s.IsPaused) && !s.IsForwarded);

    /// <summary>The open session with <paramref name="id"/>, or null.</summary>
    public ClientSession? Find(long id) => _sessions.TryGetValue(id, out var session) ? session : null;

    public void Remove(ClientSession session) => _sessions.TryRemove(session.Id, out _);

    public int Count => _sessions.Count;

    /// <summary>The pause CLIENT PAUSE set on this node (none when its end has passed).</summary>
    public ClientPause Pause { get; } = new();

    /// <summary>Sessions ordered by id, so listings are stable.</summary>
    public IReadOnlyList<ClientSession> Snapshot() => _sessions.Values.OrderBy(static s => s.Id).ToList();
}
