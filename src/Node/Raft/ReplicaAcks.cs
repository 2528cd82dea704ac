using System.Net;

namespace RaftKV.Node.Raft;

/// <summary>
/// The highest committed index each member confirmed it holds durably, much as Redis keeps each replica's acknowledged
/// offset: WAIT counts a member at once when it confirmed an index at or past the one it asks about, so a member that
/// holds the writes but is slow to answer now (paused, on a loaded machine) still counts. A member that holds a
/// committed entry holds every entry before it and never loses one (committed entries are never truncated, a snapshot
/// installed holds them, a restart keeps them), so a confirmation stays true while the member is the same; unlike
/// Redis, which forgets a replica's offset when its link drops, a member that is down counts for what it confirmed, as
/// its disk still holds it. A member whose data directory is emptied without removing it is outside what Raft allows
/// and would be counted here too.
/// <para>
/// Kept for one leadership (<see cref="RaftHost.LeaderChangeToken"/>) and one member list: a membership change forgets
/// every confirmation (<see cref="Forget"/>), since a member removed and added again comes back with an empty log; a
/// confirmation asked for before that is dropped when it arrives after it (the generation it was asked in is gone).
/// </para>
/// </summary>
internal sealed class ReplicaAcks
{
    private readonly Lock _lock = new();
    private readonly Dictionary<EndPoint, long> _held = [];
    private CancellationToken _leadership;
    private long _generation;

    /// <summary>The generation to pass to <see cref="Confirm"/> for an answer asked for now, under this leadership.</summary>
    public long Generation(CancellationToken leadership)
    {
        lock (_lock)
        {
            StartIfNew(leadership);
            return _generation;
        }
    }

    /// <summary>Whether <paramref name="member"/> confirmed, under this leadership, an index at or past <paramref name="index"/>.</summary>
    public bool Holds(CancellationToken leadership, EndPoint member, long index)
    {
        lock (_lock)
        {
            StartIfNew(leadership);
            return _held.TryGetValue(member, out var held) && held >= index;
        }
    }

    /// <summary>Records that <paramref name="member"/> holds the committed <paramref name="index"/>, unless the member list changed since <paramref name="generation"/>.</summary>
    public void Confirm(CancellationToken leadership, long generation, EndPoint member, long index)
    {
        lock (_lock)
        {
            StartIfNew(leadership);
            if (generation != _generation)
                return;
            if (!_held.TryGetValue(member, out var held) || held < index)
                _held[member] = index;
        }
    }

    /// <summary>Forgets every confirmation: the member list is changing or changed.</summary>
    public void Forget()
    {
        lock (_lock)
        {
            _held.Clear();
            _generation++;
        }
    }

    private void StartIfNew(CancellationToken leadership)
    {
        if (leadership == _leadership)
            return;
        _leadership = leadership;
        _held.Clear();
        _generation++;
    }
}
