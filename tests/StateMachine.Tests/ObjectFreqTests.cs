using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>OBJECT FREQ under an LFU maxmemory-policy, and RESTORE ... FREQ setting it, as Redis's "RESTORE can set LFU".</summary>
public sealed class ObjectFreqTests
{
    private const long Now = 1_000_000;

    [Fact]
    public void RestoreFreq_IsWhatObjectFreqReports_UnderAnLfuPolicy()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, Now, "foo", "bar");
        var dump = ((BulkReply)store.Read(CommandId.Dump, [B("foo")], Now)).Value;
        store.Apply(CommandId.Del, Now, "foo");

        store.Apply(CommandId.ConfigSet, Now, "maxmemory-policy", "allkeys-lfu");
        Assert.Equal("+OK", store.Apply(new LogCommand(CommandId.Restore, Now, 0, [B("foo"), B("0"), dump, B("FREQ"), B("100")])).ToString());
        Assert.Equal(":100", store.Read(CommandId.Object, [B("freq"), B("foo")], Now).ToString());

        store.Apply(CommandId.ConfigSet, Now, "maxmemory-policy", "noeviction");
        Assert.StartsWith("-ERR An LFU maxmemory policy is not selected", store.Read(CommandId.Object, [B("freq"), B("foo")], Now).ToString());
    }
}
