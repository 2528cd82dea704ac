namespace RaftKV.Node.PubSub;

/// <summary>
/// One connection's CLIENT TRACKING state (Redis's CLIENT_TRACKING_* flags, redirection and BCAST prefixes). Changed by
/// its session through <see cref="TrackingTable"/> and read by the applier, both under the table's lock; the CACHING flag
/// and the writes in flight are the session's alone (the writes under their own lock, the applier asks about them).
/// </summary>
internal sealed class ClientTracking
{
    private readonly Lock _writesLock = new();
    private readonly Dictionary<string, int> _writesInFlight = new(StringComparer.Ordinal);

    public bool Enabled { get; set; }

    public bool Broadcast { get; set; }

    public bool OptIn { get; set; }

    public bool OptOut { get; set; }

    public bool NoLoop { get; set; }

    /// <summary>The client id invalidations go to, 0 for this connection itself.</summary>
    public long Redirect { get; set; }

    /// <summary>Set when an invalidation found the redirect client gone (flag R, "broken_redirect").</summary>
    public bool BrokenRedirect { get; set; }

    /// <summary>CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command; the session's own thread only.</summary>
    public bool Caching { get; set; }

    /// <summary>BCAST prefixes, in byte order (as CLIENT TRACKINGINFO lists them), as Latin-1 strings.</summary>
    public SortedSet<string> Prefixes { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether the keys of a read this connection sends now are remembered: OPTIN only after CACHING YES, OPTOUT unless
    /// CACHING NO, never in BCAST mode.
    /// </summary>
    public bool RemembersReads => Enabled && !Broadcast && (OptIn ? Caching : !(OptOut && Caching));

    /// <summary>NOLOOP: marks the keys of a write this connection has in flight, so their invalidations skip it.</summary>
    public void BeginWrite(IReadOnlyList<byte[]> keys)
    {
        lock (_writesLock)
        {
            foreach (var key in keys)
            {
                var name = TrackingTable.Name(key);
                _writesInFlight[name] = _writesInFlight.GetValueOrDefault(name) + 1;
            }
        }
    }

    /// <summary>The write begun with <paramref name="keys"/> has its reply (on the leader: it is applied).</summary>
    public void EndWrite(IReadOnlyList<byte[]> keys)
    {
        lock (_writesLock)
        {
            foreach (var key in keys)
            {
                var name = TrackingTable.Name(key);
                if (_writesInFlight.TryGetValue(name, out var count) && count > 1)
                    _writesInFlight[name] = count - 1;
                else
                    _writesInFlight.Remove(name);
            }
        }
    }

    /// <summary>
    /// True, and uses up one mark, when a write of this connection naming <paramref name="key"/> is in flight: the
    /// change being reported is taken for that write's. One change per mark, so when another client's change of the key
    /// takes the mark first, this connection's own change is invalidated after it, if the key was remembered again. Not
    /// exact: a mark names a key, not a change. Another client's change applied while this connection's write of the key
    /// is in flight is taken for it and not sent, and the key is forgotten; the connection's own write, applied after it,
    /// is what it knows of (NOLOOP's contract), unless that write changed nothing (SADD of a present member), in which case
    /// the other change went unsent.
    /// </summary>
    public bool TakeOwnWrite(string key)
    {
        lock (_writesLock)
        {
            if (!_writesInFlight.TryGetValue(key, out var count))
                return false;
            if (count > 1)
                _writesInFlight[key] = count - 1;
            else
                _writesInFlight.Remove(key);
            return true;
        }
    }

    /// <summary>Clears every option (CLIENT TRACKING OFF, RESET, close); the table's lock is held.</summary>
    public void Reset()
    {
        Enabled = Broadcast = OptIn = OptOut = NoLoop = BrokenRedirect = Caching = false;
        Redirect = 0;
        Prefixes.Clear();
    }
}
