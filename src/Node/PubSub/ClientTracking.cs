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
    /// takes the mark first, this connection's own change is invalidated after it (a spare invalidation, never a missed
    /// one); a write in flight that changes nothing can still take another's change until its reply.
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

    // EXEC: for each key the transaction reads after writing it, what each change of it does to this client's entry, in
    // order (under _writesLock; the applier takes them).
    private Dictionary<string, Queue<(bool Send, bool Keep)>>? _transactionWrites;

    /// <summary>
    /// An EXEC is starting whose reads of these keys follow writes of them: the keys are remembered before it runs (so
    /// no change is missed), and the changes its writes make answer as Redis, which remembers a read's keys when the read
    /// runs: <c>Send</c> whether the client gets the invalidation, <c>Keep</c> whether it still tracks the key after.
    /// </summary>
    public void BeginTransaction(Dictionary<string, Queue<(bool Send, bool Keep)>> plan)
    {
        lock (_writesLock)
            _transactionWrites = plan;
    }

    /// <summary>A change of <paramref name="key"/> by a write reached this client's entry: the transaction's plan for it, if any (taken).</summary>
    public bool TakeTransactionWrite(string key, out bool send, out bool keep)
    {
        lock (_writesLock)
        {
            if (_transactionWrites is { } plan && plan.TryGetValue(key, out var steps) && steps.TryDequeue(out var step))
            {
                (send, keep) = step;
                return true;
            }
        }

        send = keep = false;
        return false;
    }

    /// <summary>The EXEC has its reply: what its plan did not use goes (a write that changed nothing).</summary>
    public void EndTransaction()
    {
        lock (_writesLock)
            _transactionWrites = null;
    }

    /// <summary>Clears every option (CLIENT TRACKING OFF, RESET, close); the table's lock is held.</summary>
    public void Reset()
    {
        Enabled = Broadcast = OptIn = OptOut = NoLoop = BrokenRedirect = Caching = false;
        Redirect = 0;
        Prefixes.Clear();
    }
}
