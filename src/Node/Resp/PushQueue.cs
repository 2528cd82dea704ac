using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Resp;

/// <summary>
/// A session's pushes (pub/sub messages, client-tracking invalidations) in the order they were produced, taken by the
/// output under its append lock (<see cref="OutputBuffer.AppendAsync"/>). A push is <em>due</em> when it must precede
/// every reply appended after it (a client-tracking invalidation none of the client's commands must precede any more,
/// as Redis adds it to the output buffer when it is produced): a reply's append first takes every push up to the last
/// due one, the pub/sub messages queued before it included, so the order of pushes is kept. The rest is taken by the
/// session's push loop (<see cref="Take"/> with all), which a pub/sub message keeps ahead of nothing: a message
/// delivered while a command of the client runs may go out after that command's reply, as before.
/// </summary>
internal sealed class PushQueue
{
    private readonly Lock _lock = new();
    private readonly Queue<(Reply Push, bool Due)> _items = new();
    private int _due;

    public void Add(Reply push, bool due)
    {
        lock (_lock)
        {
            _items.Enqueue((push, due));
            if (due)
                _due++;
        }
    }

    /// <summary>Moves into <paramref name="into"/> every push (<paramref name="all"/>), or those up to the last due one.</summary>
    public void Take(List<Reply> into, bool all)
    {
        if (!all && Volatile.Read(ref _due) == 0)
            return;
        lock (_lock)
        {
            while (_items.Count > 0 && (all || _due > 0))
            {
                var (push, due) = _items.Dequeue();
                if (due)
                    _due--;
                into.Add(push);
            }
        }
    }
}
