using RaftKV.StateMachine;

namespace RaftKV.Node.Raft;

/// <summary>
/// Reads of the applied state that never block a thread for an apply. One entry can hold the write lock for a second
/// or more (SORT ... STORE of a million elements, a DEL of a huge key); a reader that blocked its thread for that long
/// took a thread-pool thread with it, and on a two-core machine two or three of them starve the pool until it grows
/// (about one thread per half second): the Raft heartbeats wait with everything else, and the followers elect another
/// leader (a 1.3 s SORT ... STORE cost a leader change). A reader here tries the read lock without waiting; when the
/// applier holds it (or waits for it), the reader awaits the applier's release instead of blocking.
/// </summary>
internal sealed partial class KvStateMachine
{
    // Readers awaiting the write lock's release, and the signal the applier completes when it releases the lock while
    // one waits (replaced first, so that a reader that read the old one and then found the lock taken again waits for
    // the next release).
    private int _readersWaiting;
    private TaskCompletionSource _writeReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum ReadAttempt { Read, Locked, ScriptSuspended }

    /// <summary>Readers awaiting an apply's end now (for tests: a reader that blocked its thread would not count).</summary>
    internal int ReadersWaiting => Volatile.Read(ref _readersWaiting);

    /// <summary>
    /// Runs <paramref name="reader"/> against the current state (it must not modify it); while an apply holds the state,
    /// waits for it without blocking the calling thread.
    /// </summary>
    public ValueTask<T> ReadAsync<T>(Func<KeyValueStore, T> reader, CancellationToken token = default) =>
        TryRead(reader, whenIdle: false, out var value) == ReadAttempt.Read ? ValueTask.FromResult(value) : ReadLaterAsync(reader, whenIdle: false, token);

    /// <summary>
    /// Runs <paramref name="reader"/> against the state once no script is suspended: a client's read never sees a script
    /// half done (Redis runs a script atomically). Waits as long as the script runs, or until <paramref name="token"/>;
    /// waits for an apply without blocking the calling thread.
    /// </summary>
    public ValueTask<T> ReadWhenIdleAsync<T>(Func<KeyValueStore, T> reader, CancellationToken token) =>
        TryRead(reader, whenIdle: true, out var value) == ReadAttempt.Read ? ValueTask.FromResult(value) : ReadLaterAsync(reader, whenIdle: true, token);

    /// <summary>
    /// Runs <paramref name="reader"/> against the current state if no apply holds it now; never waits (for a caller that
    /// cannot await, such as a metrics callback, which then shows what it read last).
    /// </summary>
    public bool TryReadNow<T>(Func<KeyValueStore, T> reader, out T value) => TryRead(reader, whenIdle: false, out value) == ReadAttempt.Read;

    private ReadAttempt TryRead<T>(Func<KeyValueStore, T> reader, bool whenIdle, out T value)
    {
        value = default!;
        if (!_lock.TryEnterReadLock(0))
            return ReadAttempt.Locked;
        List<byte[]>? expired;
        try
        {
            if (whenIdle && _suspension is not null)
                return ReadAttempt.ScriptSuspended;
            value = reader(_store);
            expired = KeyValueStore.TakeExpiredKeysRead();
        }
        finally
        {
            _lock.ExitReadLock();
        }

        ExpiredOnRead(expired);
        return ReadAttempt.Read;
    }

    // The keys a client's read found expired go to client tracking (an invalidation for each client that read them, after
    // the reply of its own command in flight), as Redis's lazy expiry deletes and invalidates them; the read deleted
    // nothing, so a sweep deletes them later.
    /// <summary>
    /// The keys a client's read found expired, when they are not deleted for it (a lazy-expiry entry not proposed or
    /// failed): invalidated for client tracking, as the read would have done itself.
    /// </summary>
    public void InvalidateExpiredRead(List<byte[]> expired) => ExpiredOnRead(expired);

    private void ExpiredOnRead(List<byte[]>? expired)
    {
        if (expired is not null && KeyChanges is { IsListening: true } sink)
            sink.ExpiredOnRead(expired);
    }

    private async ValueTask<T> ReadLaterAsync<T>(Func<KeyValueStore, T> reader, bool whenIdle, CancellationToken token)
    {
        while (true)
        {
            if (whenIdle)
                await WhenScriptIdle.WaitAsync(token).ConfigureAwait(false);
            var attempt = TryRead(reader, whenIdle, out var value);
            if (attempt == ReadAttempt.Locked)
            {
                Interlocked.Increment(ref _readersWaiting);
                try
                {
                    // The signal before the second try: a release between the two completes this one, none is missed.
                    var released = Volatile.Read(ref _writeReleased).Task;
                    attempt = TryRead(reader, whenIdle, out value);
                    if (attempt == ReadAttempt.Locked)
                        await released.WaitAsync(token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _readersWaiting);
                }
            }

            if (attempt == ReadAttempt.Read)
                return value;
        }
    }

    // Every release of the write lock goes through here. A reader increments the count (a full fence) before its second
    // try; the release is followed by a full fence here before the count is read: either the reader's try sees the lock
    // free, or this sees the reader waiting (whatever the lock's own internals order).
    private void ExitWriteLock()
    {
        _lock.ExitWriteLock();
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _readersWaiting) > 0)
            Interlocked.Exchange(ref _writeReleased, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
