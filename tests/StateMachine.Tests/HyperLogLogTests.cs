using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.HyperLogLog;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>HLL behaviour the recorded script cannot show: RaftKV's read-only PFCOUNT, and Redis's own self-test.</summary>
public sealed class HyperLogLogTests
{
    [Fact]
    public void PfCount_WithStaleCache_ComputesTheCountWithoutChangingTheString()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Pfadd, 1000, "h", "a", "b", "c");
        var before = ReplyText.Render(store.Read(CommandId.Get, [B("h")], 1000));
        Assert.EndsWith("\\x80`\\xf3\\x80P\\xb1\\x84K\\xfb\\x80BZ\"", before);

        Assert.Equal("(integer) 3", ReplyText.Render(store.Read(CommandId.Pfcount, [B("h")], 1000)));

        Assert.Equal(before, ReplyText.Render(store.Read(CommandId.Get, [B("h")], 1000)));
    }

    [Fact]
    public void SelfTest_PassesForTheDefaultSparseLimit()
    {
        Assert.Null(HyperLogLogSelfTest.Run(20240604));
    }
}
