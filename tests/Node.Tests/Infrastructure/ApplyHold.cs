using Microsoft.Extensions.DependencyInjection;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>
/// Holds one chosen apply of a node under the state machine's write lock (KvStateMachine.WhileApplying), as an entry
/// that takes seconds to apply does, until the test releases it. Install before the node starts.
/// </summary>
internal sealed class ApplyHold : IDisposable
{
    private readonly TaskCompletionSource<bool> _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _release = new();
    private int _countdown;

    private ApplyHold()
    {
    }

    /// <summary>A hold on <paramref name="node"/>'s applies (none held until <see cref="HoldApply"/>).</summary>
    public static ApplyHold Install(TestNode node)
    {
        var hold = new ApplyHold();
        node.TestServices = services => services.AddSingleton<Action<KvStateMachine>>(machine => machine.WhileApplying = _ => hold.OnApply());
        return hold;
    }

    /// <summary>Completes when the held apply has begun: true when it runs on a thread-pool thread.</summary>
    public Task<bool> Entered => _entered.Task;

    public bool IsReleased => _release.IsSet;

    /// <summary>Holds the <paramref name="nth"/> entry this node applies from now on (1: the next one).</summary>
    public void HoldApply(int nth = 1) => Volatile.Write(ref _countdown, nth);

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
    }

    private void OnApply()
    {
        if (Interlocked.Decrement(ref _countdown) != 0)
            return;
        _entered.TrySetResult(Thread.CurrentThread.IsThreadPoolThread);
        _release.Wait(TimeSpan.FromSeconds(30));
    }
}
