using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Security;

/// <summary>
/// ACL LOG: this node's record of refused commands, keys, channels and failed authentications, as Redis 7.0 keeps one per
/// server. Like Redis: newest first; an event like one of the 10 newest (same reason, context, object and user, within
/// 60 s of it) counts on that entry and moves it to the front instead of adding one; at most acllog-max-len entries.
/// Node-local, like Redis's (each node logs the refusals of its own clients; nothing of it is replicated), and lost at
/// restart, as Redis's is.
/// </summary>
internal sealed class AclLog(Func<long> maxLength, TimeProvider time)
{
    private const int GroupScan = 10;
    private static readonly TimeSpan GroupWindow = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly LinkedList<Entry> _entries = new();

    public enum Reason
    {
        Command,
        Key,
        Channel,
        Auth,
    }

    public enum Context
    {
        TopLevel,
        Multi,
        Lua,
    }

    private sealed class Entry(Reason reason, Context context, string subject, string user)
    {
        public Reason Reason { get; } = reason;

        public Context Context { get; } = context;

        public string Subject { get; } = subject;

        public string User { get; } = user;

        public long Count { get; set; } = 1;

        public long Ticks { get; set; }

        public string ClientInfo { get; set; } = "";
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    /// <summary>Records one refusal of <paramref name="user"/>'s (<paramref name="subject"/>: the command's full name, the key, the channel, or the command that authenticated).</summary>
    /// <param name="times">Like refusals in a row (a script's loop): counted as that many events.</param>
    public void Add(Reason reason, Context context, string subject, string user, string clientInfo, long times = 1)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            var node = _entries.First;
            for (var scanned = 0; node is not null && scanned < GroupScan; scanned++, node = node.Next)
            {
                var entry = node.Value;
                if (entry.Reason == reason && entry.Context == context && entry.Subject == subject && entry.User == user
                    && time.GetElapsedTime(entry.Ticks, now) <= GroupWindow)
                {
                    entry.Count += times;
                    entry.Ticks = now;
                    entry.ClientInfo = clientInfo;
                    _entries.Remove(node);
                    _entries.AddFirst(node);
                    return;
                }
            }

            _entries.AddFirst(new Entry(reason, context, subject, user) { Count = times, Ticks = now, ClientInfo = clientInfo });
            var max = Math.Max(0, maxLength());
            while (_entries.Count > max)
                _entries.RemoveLast();
        }
    }

    /// <summary>Records a refusal by the user's rules (<paramref name="denial"/>: a command, key or channel refused).</summary>
    public void Add(RaftKV.StateMachine.Acl.AclDenial denial, Context context, string subject, string user, string clientInfo, long times = 1) =>
        Add(denial switch
        {
            RaftKV.StateMachine.Acl.AclDenial.Key => Reason.Key,
            RaftKV.StateMachine.Acl.AclDenial.Channel => Reason.Channel,
            _ => Reason.Command,
        }, context, subject, user, clientInfo, times);

    public void Reset()
    {
        lock (_lock)
            _entries.Clear();
    }

    /// <summary>ACL LOG [count]: the newest <paramref name="count"/> entries (10 by default), each a map of Redis's 7 fields.</summary>
    public Reply Read(long count)
    {
        var now = time.GetTimestamp();
        var items = new List<Reply>();
        lock (_lock)
        {
            foreach (var entry in _entries)
            {
                if (items.Count >= count)
                    break;
                items.Add(new MapReply(
                [
                    new(Reply.Bulk("count"), Reply.Integer(entry.Count)),
                    new(Reply.Bulk("reason"), Reply.Bulk(Name(entry.Reason))),
                    new(Reply.Bulk("context"), Reply.Bulk(Name(entry.Context))),
                    new(Reply.Bulk("object"), Reply.Bulk(System.Text.Encoding.Latin1.GetBytes(entry.Subject))),
                    new(Reply.Bulk("username"), Reply.Bulk(System.Text.Encoding.Latin1.GetBytes(entry.User))),
                    new(Reply.Bulk("age-seconds"), Reply.Double(time.GetElapsedTime(entry.Ticks, now).TotalSeconds)),
                    new(Reply.Bulk("client-info"), Reply.Bulk(entry.ClientInfo)),
                ]));
            }
        }

        return Reply.Array(items.ToArray());
    }

    private static string Name(Reason reason) => reason switch
    {
        Reason.Command => "command",
        Reason.Key => "key",
        Reason.Channel => "channel",
        _ => "auth",
    };

    private static string Name(Context context) => context switch
    {
        Context.TopLevel => "toplevel",
        Context.Multi => "multi",
        _ => "lua",
    };
}
