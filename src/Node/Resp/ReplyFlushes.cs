namespace RaftKV.Node.Resp;

/// <summary>
/// A pass that answers many commands at once on one thread (an applied group-commit entry: up to thousands of replies
/// for a few dozen connections, their reply loops resumed one reply at a time): while it runs, a connection's replies
/// are appended to its <see cref="OutputBuffer"/> without being handed to the transport, and each connection touched is
/// flushed once when the pass ends. Without it, a client pipelining 16 writes got up to 16 socket writes for them.
/// Appends on other threads, or after the pass, flush as usual (their flush takes the deferred bytes along).
/// </summary>
internal static class ReplyFlushes
{
    [ThreadStatic]
    private static List<OutputBuffer>? t_deferred;

    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static int t_answering;

    /// <summary>
    /// Starts a pass answering an applied batch on this thread; disposing it flushes what was deferred (the outermost
    /// pass does). Sessions resumed inside it leave the thread before reading on (<see cref="Active"/>).
    /// </summary>
    public static Pass Begin()
    {
        t_depth++;
        t_answering++;
        return new Pass(answering: true);
    }

    /// <summary>
    /// Starts a pass of the RESP event loop over the sockets one wait reported ready: the replies its sessions append
    /// are handed to the sockets once it ends, as Redis writes its clients' replies before it sleeps, so a client woken
    /// by its reply does not preempt the loop while other sockets wait to be read. Sessions go on reading inside it.
    /// </summary>
    public static Pass BeginGather()
    {
        t_depth++;
        return new Pass(answering: false);
    }

    /// <summary>Whether a pass answering an applied batch runs on this thread.</summary>
    public static bool Active => t_answering > 0;

    /// <summary>Whether any pass runs on this thread: appends are flushed as it ends.</summary>
    internal static bool Deferring => t_depth > 0;

    /// <summary>Flushes <paramref name="buffer"/> as this thread's pass ends (the caller checked <see cref="Deferring"/>).</summary>
    internal static void Register(OutputBuffer buffer) => (t_deferred ??= []).Add(buffer);

    private static void End(bool answering)
    {
        if (answering)
            t_answering--;
        if (--t_depth > 0 || t_deferred is not { Count: > 0 } deferred)
            return;

        // A flush runs a drain inline, which could answer more replies on this thread: they flush as usual.
        t_deferred = null;
        foreach (var buffer in deferred)
        {
            try
            {
                buffer.FlushDeferred();
            }
#pragma warning disable CA1031 // Whatever one connection's flush throws, the others of the pass still get their replies.
            catch (Exception)
            {
                // That connection is ending.
            }
#pragma warning restore CA1031
        }
        deferred.Clear();
        t_deferred ??= deferred;
    }

    internal readonly struct Pass(bool answering) : IDisposable
    {
        public void Dispose() => End(answering);
    }
}
