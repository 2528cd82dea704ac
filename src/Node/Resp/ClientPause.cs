namespace RaftKV.Node.Resp;

/// <summary>
/// CLIENT PAUSE on this node: until <see cref="Pause"/>'s end (or CLIENT UNPAUSE) its clients' commands wait before
/// they run: every command (ALL) or only writes (WRITE), except CLIENT itself so that UNPAUSE gets through. Other
/// nodes' clients are not paused: a pause is this node's, as Redis's is its server's.
/// </summary>
internal sealed class ClientPause
{
    private readonly Lock _lock = new();
    // The pause's end in UTC ticks: written under the lock, read without it by IsActive (every command of every session asks).
    private long _untilTicks = NotPaused;
    private bool _writesOnly;
    private TaskCompletionSource _released = NewRelease();

    /// <summary>Pauses until <paramref name="until"/>; a pause already longer or stricter (ALL over WRITE) is kept, as in Redis.</summary>
    public void Pause(DateTimeOffset until, bool writesOnly)
    {
        lock (_lock)
        {
            _writesOnly = IsActive ? _writesOnly && writesOnly : writesOnly;
            if (until.UtcTicks > _untilTicks)
                Volatile.Write(ref _untilTicks, until.UtcTicks);
        }
    }

    /// <summary>True while a pause is in force: sessions then run commands one at a time, so those held by it resume in order.</summary>
    public bool IsActive
    {
        get
        {
            var until = Volatile.Read(ref _untilTicks);
            if (until == NotPaused)
                return false;
            if (until > DateTimeOffset.UtcNow.UtcTicks)
                return true;
            // Ended by its timeout: marked so, unless a new pause was set meanwhile, so later commands read no clock.
            Interlocked.CompareExchange(ref _untilTicks, NotPaused, until);
            return false;
        }
    }

    // No pause was ever set, or it was lifted: no clock read for the question every command asks.
    private static readonly long NotPaused = DateTimeOffset.MinValue.UtcTicks;

    public void Unpause()
    {
        lock (_lock)
        {
            Volatile.Write(ref _untilTicks, NotPaused);
            _released.TrySetResult();
            _released = NewRelease();
        }
    }

    /// <summary>Waits while a pause applies to a command of this kind; returns at once when none does.</summary>
    public async ValueTask WaitAsync(bool isWrite, CancellationToken token)
    {
        while (true)
        {
            TimeSpan remaining;
            Task released;
            lock (_lock)
            {
                remaining = TimeSpan.FromTicks(_untilTicks - DateTimeOffset.UtcNow.UtcTicks);
                if (remaining <= TimeSpan.Zero || (_writesOnly && !isWrite))
                    return;
                released = _released.Task;
            }

            // Task.Delay takes at most about 49 days; a longer pause is waited for in steps.
            await Task.WhenAny(released, Task.Delay(remaining < MaxDelay ? remaining : MaxDelay, token)).ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
        }
    }

    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(30);

    private static TaskCompletionSource NewRelease() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
