using System.Text;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.PubSub;

/// <summary>
/// Client-side caching (Redis 7.0's CLIENT TRACKING) on this node. Default mode: the keys a tracking client reads here are
/// remembered with its id; when the applier reports a key changed (every node applies every write, so each node
/// invalidates its own clients), each remembered client gets one invalidation and the key is forgotten. BCAST mode: every
/// changed key matching one of the client's prefixes, gathered per prefix and sent once per applied entry. FLUSHALL,
/// FLUSHDB and an installed snapshot send a null invalidation (every key) to every tracking client. The table holds at
/// most tracking-table-max-keys keys: past it the oldest are forgotten and invalidated as if changed. Ids of clients gone
/// or switched off stay until their key is invalidated, as in Redis (cleaning them would cost a walk of the table).
/// Deliveries go through <see cref="ClientSession.PushTracked"/> (or <see cref="ClientSession.PushRedirected"/> to a
/// REDIRECT connection), after the replies of the commands the tracking client had in flight, so an invalidation never
/// overtakes the reply of a read it concerns.
/// </summary>
internal sealed class TrackingTable(ClientRegistry clients) : IKeyChangeSink
{
    private static readonly Reply InvalidateKind = Reply.Bulk("invalidate");
    private static readonly Reply RedirBrokenKind = Reply.Bulk("tracking-redir-broken");
    private static readonly Reply MessageKind = Reply.Bulk("message");
    private static readonly Reply InvalidateChannel = Reply.Bulk("__redis__:invalidate");

    private readonly Lock _lock = new();

    // Remembered keys (Latin-1 names) with the ids that read them, and the keys oldest first for the size bound.
    private readonly Dictionary<string, (HashSet<long> Ids, LinkedListNode<string> Node)> _keys = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _oldestFirst = new();
    private readonly Dictionary<string, HashSet<ClientSession>> _prefixes = new(StringComparer.Ordinal);

    // BCAST keys changed by the entry being applied, per client and prefix, sent when it ends.
    private Dictionary<ClientSession, SortedDictionary<string, GatheredKeys>> _broadcast = [];
    private long _items;
    private int _trackingClients;

    public static string Name(byte[] key) => Encoding.Latin1.GetString(key);

    /// <summary>Clients with tracking on (INFO tracking_clients).</summary>
    public int TrackingClients => Volatile.Read(ref _trackingClients);

    /// <summary>
    /// Whether applies must report key changes here: while a client tracks, and while keys are remembered for clients
    /// that turned tracking off (as in Redis, their ids stay until the key changes or a flush empties the table, and
    /// INFO counts them). Unlocked, a hint: a count read while a remember runs is off by a few at worst.
    /// </summary>
    public bool IsListening => TrackingClients > 0 || _keys.Count > 0;

    /// <summary>Keys remembered (tracking_total_keys), client ids remembered with them (tracking_total_items), BCAST prefixes.</summary>
    public (int Keys, long Items, int Prefixes) Totals
    {
        get
        {
            lock (_lock)
                return (_keys.Count, _items, _prefixes.Count);
        }
    }

    /// <summary>
    /// CLIENT TRACKING ON with options already validated: sets them (prefixes add to those already set, as in Redis; BCAST
    /// with no prefix tracks the empty prefix).
    /// </summary>
    public void Enable(ClientSession session, long redirect, bool broadcast, bool optIn, bool optOut, bool noLoop, IReadOnlyList<byte[]> prefixes)
    {
        lock (_lock)
        {
            var state = session.Tracking;
            if (!state.Enabled)
                Interlocked.Increment(ref _trackingClients);
            state.Enabled = true;
            state.BrokenRedirect = false;
            state.Redirect = redirect;
            state.Broadcast = broadcast;
            state.OptIn = optIn;
            state.OptOut = optOut;
            state.NoLoop = noLoop;
            if (!broadcast)
                return;
            foreach (var prefix in prefixes.Count == 0 ? [Array.Empty<byte>()] : prefixes)
            {
                var name = Name(prefix);
                if (!_prefixes.TryGetValue(name, out var sessions))
                    _prefixes[name] = sessions = [];
                sessions.Add(session);
                state.Prefixes.Add(name);
            }
        }
    }

    /// <summary>CLIENT TRACKING OFF, RESET, or the connection closed.</summary>
    public void Disable(ClientSession session)
    {
        lock (_lock)
        {
            var state = session.Tracking;
            foreach (var prefix in state.Prefixes)
            {
                if (_prefixes.TryGetValue(prefix, out var sessions) && sessions.Remove(session) && sessions.Count == 0)
                    _prefixes.Remove(prefix);
            }

            _broadcast.Remove(session);
            if (state.Enabled)
                Interlocked.Decrement(ref _trackingClients);
            state.Reset();
        }
    }

    /// <summary>The prefix among <paramref name="session"/>'s own that <paramref name="prefix"/> overlaps, if any.</summary>
    public string? OverlappingPrefix(ClientSession session, byte[] prefix)
    {
        var name = Name(prefix);
        lock (_lock)
            return session.Tracking.Prefixes.FirstOrDefault(own => Overlap(own, name));
    }

    /// <summary>Two prefixes overlap when one starts the other: some key would match both.</summary>
    public static bool Overlap(string a, string b) =>
        a.Length <= b.Length ? b.StartsWith(a, StringComparison.Ordinal) : a.StartsWith(b, StringComparison.Ordinal);

    /// <summary>
    /// tracking-table-max-keys as last applied (<see cref="TrackingDelivery"/> sets the source): read at each use, so a
    /// CONFIG SET bounds the very next read (a copy refreshed ten times a second evicted keys of reads made just after a
    /// raised bound).
    /// </summary>
    public Func<long> MaxKeysSource { get; set; } = static () => 1_000_000;

    private long MaxKeys => MaxKeysSource();

    private volatile bool _periodicEvictionPaused;

    /// <summary>DEBUG PAUSE-CRON: <see cref="TrackingDelivery"/>'s periodic eviction waits; a command's start still evicts, as in Redis.</summary>
    public bool PeriodicEvictionPaused
    {
        get => _periodicEvictionPaused;
        set => _periodicEvictionPaused = value;
    }

    /// <summary>
    /// Redis's trackingLimitUsedSlots before each command: a command starting while more keys are remembered than the
    /// bound allows first evicts (and invalidates) the oldest, so a lowered bound acts even with the periodic eviction
    /// paused (DEBUG PAUSE-CRON) and its invalidations come before the command's reply.
    /// </summary>
    public void EvictBeforeCommand()
    {
        var max = MaxKeys;
        // Unlocked, a hint (a count read while a remember runs is off by a few at worst); Evict checks under the lock.
        if (max > 0 && _keys.Count > max)
            Evict();
    }

    /// <summary>Remembers that <paramref name="session"/> read <paramref name="keys"/> (called before the read runs).</summary>
    public void Remember(ClientSession session, IEnumerable<byte[]> keys) => Remember(session, keys, added: null);

    /// <summary>
    /// Remembers <paramref name="keys"/> for <paramref name="session"/> as <see cref="Remember(ClientSession, IEnumerable{byte[]})"/>
    /// does, adding to <paramref name="added"/> those it did not remember for it before (a script's, see
    /// <see cref="ScriptReadProbe"/>).
    /// </summary>
    public void Remember(ClientSession session, IEnumerable<byte[]> keys, List<string>? added)
    {
        lock (_lock)
        {
            foreach (var key in keys)
            {
                var name = Name(key);
                if (!_keys.TryGetValue(name, out var entry))
                    _keys[name] = entry = ([], _oldestFirst.AddLast(name));
                if (entry.Ids.Add(session.Id))
                {
                    _items++;
                    added?.Add(name);
                }
            }

            EvictLocked(MaxKeys);
        }
    }

    /// <summary>
    /// The script of <paramref name="probe"/> ran and called no read-only command: forgets the keys it alone remembered
    /// for <paramref name="session"/>, unless a later command of the session has started since (its count, read under
    /// this table's lock, which every remembering takes after counting its command): that command may have remembered
    /// the same keys, and must keep them.
    /// </summary>
    public void ForgetUnlessFollowed(ClientSession session, ScriptReadProbe probe)
    {
        if (probe.CalledNoRead)
            ForgetUnlessFollowed(session, probe.Started, probe.Added);
    }

    /// <summary>
    /// Forgets <paramref name="added"/> for <paramref name="session"/> unless a command of the session has started since
    /// the one counted <paramref name="started"/> (see <see cref="ForgetUnlessFollowed(ClientSession, ScriptReadProbe)"/>).
    /// </summary>
    public void ForgetUnlessFollowed(ClientSession session, long started, List<string> added)
    {
        if (added.Count == 0)
            return;
        lock (_lock)
        {
            if (session.CommandsStarted != started)
                return;
            foreach (var name in added)
            {
                // Invalidated (and forgotten) meanwhile: nothing to forget.
                if (!_keys.TryGetValue(name, out var entry) || !entry.Ids.Remove(session.Id))
                    continue;
                _items--;
                if (entry.Ids.Count == 0)
                {
                    _keys.Remove(name);
                    _oldestFirst.Remove(entry.Node);
                }
            }
        }
    }

    /// <summary>
    /// Forgets the oldest keys while more than <see cref="MaxKeys"/> are remembered (0: no bound), invalidating them for
    /// their clients as Redis does, so a client never keeps a value nobody will invalidate. At most the current effort
    /// per call, as Redis's trackingLimitUsedSlots: 100 keys, 100 more at each call that leaves the table still over the
    /// bound, back to 100 once under it; a bound lowered from a million keys never holds the table's lock (and an apply
    /// waiting for it) for all of them at once.
    /// </summary>
    public void Evict()
    {
        lock (_lock)
            EvictLocked(MaxKeys);
    }

    private const int EvictionEffortStep = 100;
    private int _evictionEffort = EvictionEffortStep;

    private void EvictLocked(long maxKeys)
    {
        if (maxKeys <= 0 || _keys.Count <= maxKeys)
        {
            _evictionEffort = EvictionEffortStep;
            return;
        }

        for (var evicted = 0; evicted < _evictionEffort && _keys.Count > maxKeys && _oldestFirst.First is { } oldest; evicted++)
            InvalidateLocked(oldest.Value, null, byWrite: false);
        _evictionEffort = _keys.Count > maxKeys ? _evictionEffort + EvictionEffortStep : EvictionEffortStep;
    }

    public void Changed(IReadOnlyList<byte[]> keys, bool flushed, bool byClient)
    {
        lock (_lock)
        {
            // A command reports a key once per change it made to it (value, then expiry): one invalidation for all.
            var seen = keys.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
            for (var i = 0; i < keys.Count; i++)
            {
                var key = keys[i];
                var name = Name(key);
                if (seen is not null && !seen.Add(name))
                    continue;
                ChangedLocked(name, key, byClient);
            }

            if (flushed)
                FlushLocked();
        }
    }

    // One key changed: gathered for the BCAST clients whose prefix it has, invalidated for the clients that read it.
    private void ChangedLocked(string name, byte[] key, bool byClient)
    {
        if (_prefixes.Count > 0)
            GatherBroadcastLocked(name, key, byClient);
        if (_keys.ContainsKey(name))
            InvalidateLocked(name, key, byClient);
    }

    public void ExpiredOnRead(IReadOnlyList<byte[]> keys)
    {
        lock (_lock)
        {
            // Its own broadcast messages: the applier may be gathering an entry's meanwhile.
            var gathering = _broadcast;
            _broadcast = [];
            try
            {
                foreach (var key in keys)
                    ChangedLocked(Name(key), key, byClient: false);

                SendBroadcastLocked();
            }
            finally
            {
                _broadcast = gathering;
            }
        }
    }

    public void EntryApplied()
    {
        lock (_lock)
            SendBroadcastLocked();
    }

    private void GatherBroadcastLocked(string name, byte[] key, bool byClient)
    {
        foreach (var (prefix, sessions) in _prefixes)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            foreach (var session in sessions)
            {
                if (byClient && session.Tracking.NoLoop && session.Tracking.TakeOwnWrite(name))
                    continue;
                if (!_broadcast.TryGetValue(session, out var byPrefix))
                    _broadcast[session] = byPrefix = new SortedDictionary<string, GatheredKeys>(StringComparer.Ordinal);
                if (!byPrefix.TryGetValue(prefix, out var gathered))
                    byPrefix[prefix] = gathered = new GatheredKeys();
                // A set beside the list: a linear search per key made an MSET of 20,000 keys 2*10^8 comparisons.
                if (gathered.Names.Add(name))
                    gathered.Keys.Add(key);
            }
        }
    }

    private void SendBroadcastLocked()
    {
        if (_broadcast.Count == 0)
            return;
        foreach (var (session, byPrefix) in _broadcast.OrderBy(static pair => pair.Key.Id))
        {
            foreach (var gathered in byPrefix.Values)
                SendLocked(session, Reply.Array(gathered.Keys.Select(static k => (Reply)Reply.Bulk(k)).ToArray()));
        }

        _broadcast.Clear();
    }

    // One invalidation of the key to each client that read it (a change by a client skips a NOLOOP client's own write),
    // then the key is forgotten: the next read remembers it again.
    private void InvalidateLocked(string name, byte[]? key, bool byWrite)
    {
        var (ids, node) = _keys[name];
        _keys.Remove(name);
        _oldestFirst.Remove(node);
        _items -= ids.Count;
        Reply? keys = null;
        foreach (var id in ids.Order())
        {
            if (clients.Find(id) is not { } target || !target.Tracking.Enabled || target.Tracking.Broadcast)
                continue;
            if (byWrite && target.Tracking.NoLoop && target.Tracking.TakeOwnWrite(name))
                continue;
            keys ??= Reply.Array(Reply.Bulk(key ?? Encoding.Latin1.GetBytes(name)));
            SendLocked(target, keys);
        }
    }

    // As Redis: a flush sends a null ("every key") to every tracking client, and the table starts empty.
    private void FlushLocked()
    {
        SendBroadcastLocked();
        foreach (var session in clients.Snapshot())
        {
            if (session.Tracking.Enabled)
                SendLocked(session, Reply.Null);
        }

        _keys.Clear();
        _oldestFirst.Clear();
        _items = 0;
    }

    // Redis's sendTrackingMessage: to the client itself in RESP3, else to its redirect client (RESP3 push, or a RESP2
    // subscriber's message on __redis__:invalidate); a redirect client gone marks the redirect broken and tells a RESP3
    // client so.
    private void SendLocked(ClientSession session, Reply keys)
    {
        var state = session.Tracking;
        var target = session;
        if (state.Redirect != 0)
        {
            if (clients.Find(state.Redirect) is not { } redirected)
            {
                state.BrokenRedirect = true;
                if (session.ProtocolVersion > 2)
                    session.PushTracked(new PushReply([RedirBrokenKind, Reply.Integer(state.Redirect)]));
                return;
            }

            target = redirected;
        }

        // Redirected, after the replies of the commands the tracking client had started, in the shape the redirect
        // connection needs when it is sent (ClientSession.PushRedirected).
        if (!ReferenceEquals(target, session))
        {
            session.PushRedirected(target, keys);
            return;
        }

        if (target.ProtocolVersion > 2)
            target.PushTracked(new PushReply([InvalidateKind, keys]));
    }

    /// <summary>
    /// An invalidation of <paramref name="keys"/> as REDIRECT connection <paramref name="to"/> takes it now: a RESP3 push,
    /// a message on __redis__:invalidate to a RESP2 subscriber, or nothing to a RESP2 connection no longer subscribed.
    /// </summary>
    internal static Reply? RedirectedMessage(ClientSession to, Reply keys) =>
        to.ProtocolVersion > 2 ? new PushReply([InvalidateKind, keys])
        : to.Subscriptions.Count > 0 ? new PushReply([MessageKind, InvalidateChannel, keys])
        : null;

    /// <summary>The keys changed under one prefix for one client in an entry, in the order they changed, each once.</summary>
    private sealed class GatheredKeys
    {
        public List<byte[]> Keys { get; } = [];

        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    }
}
