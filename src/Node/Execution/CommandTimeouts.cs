using System.Collections.Concurrent;

namespace RaftKV.Node.Execution;

/// <summary>
/// Tokens that cancel after CommandTimeoutMs or when the caller's token does, from reused CancellationTokenSources: a
/// linked source and its timer per command were about 250 bytes of every linearizable read on the leader.
/// </summary>
internal sealed class CommandTimeouts(int timeoutMs)
{
    private const int MaxKept = 1024;

    private readonly ConcurrentQueue<CancellationTokenSource> _free = new();
    private int _kept;

    /// <summary>Starts a timeout; dispose the lease once the command no longer waits (its token must not be used after).</summary>
    public Lease Start(CancellationToken token)
    {
        if (_free.TryDequeue(out var source))
            Interlocked.Decrement(ref _kept);
        else
            source = new CancellationTokenSource();
        source.CancelAfter(timeoutMs);
        var link = token.CanBeCanceled ? token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), source) : default;
        return new Lease(this, source, link);
    }

    // Reused only if it never fired (TryReset is false once the timer ran or the caller's token cancelled it).
    private void Return(CancellationTokenSource source)
    {
        if (source.TryReset() && Interlocked.Increment(ref _kept) <= MaxKept)
        {
            _free.Enqueue(source);
            return;
        }

        source.Dispose();
    }

    /// <summary>One command's timeout.</summary>
    public readonly struct Lease(CommandTimeouts owner, CancellationTokenSource source, CancellationTokenRegistration link) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            // Waits for a cancellation callback running now, so none reaches the source once it is reused.
            link.Dispose();
            owner.Return(source);
        }
    }
}
