using RaftKV.Node.Resp;

namespace RaftKV.Node.Tests.Resp;

/// <summary>
/// CLIENT PAUSE's state, which every command asks: a pause that ran out is over (and marked so, so later commands read
/// no clock), and a pause set after it applies again in full.
/// </summary>
public sealed class ClientPauseStateTests
{
    [Fact]
    public async Task APauseThatRanOut_IsOver_AndANewPauseAfterItApplies()
    {
        var pause = new ClientPause();
        Assert.False(pause.IsActive);

        pause.Pause(DateTimeOffset.UtcNow.AddMilliseconds(100), writesOnly: false);
        Assert.True(pause.IsActive);
        await Task.Delay(300);
        Assert.False(pause.IsActive);
        Assert.False(pause.IsActive);
        await pause.WaitAsync(isWrite: true, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // WRITE only: reads pass, writes wait until UNPAUSE.
        pause.Pause(DateTimeOffset.UtcNow.AddHours(1), writesOnly: true);
        Assert.True(pause.IsActive);
        await pause.WaitAsync(isWrite: false, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var write = pause.WaitAsync(isWrite: true, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(write.IsCompleted);
        pause.Unpause();
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(pause.IsActive);
    }
}
