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

    // A write counts one access, whether it changes the key or not (KeyTable.FindForWriteUnless looked the key up twice
    // when the write went ahead: two increments). With lfu-log-factor 0 every access increments.
    [Theory]
    [InlineData("SADD", "s", "new")]
    [InlineData("SADD", "s", "a")]
    [InlineData("SREM", "s", "a")]
    [InlineData("SREM", "s", "absent")]
    [InlineData("SMOVE", "s", "other", "a")]
    [InlineData("SMOVE", "s", "other", "absent")]
    [InlineData("PERSIST", "s")]
    public void AWrite_CountsOneAccess(params string[] command)
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.ConfigSet, Now, "maxmemory-policy", "allkeys-lfu");
        store.Apply(CommandId.ConfigSet, Now, "lfu-log-factor", "0");
        store.Apply(CommandId.Sadd, Now, "s", "a", "b");
        store.Apply(CommandId.Pexpire, Now, "s", "100000000");
        var before = Freq(store);
        store.Apply(new LogCommand(Enum.Parse<CommandId>(command[0], ignoreCase: true), Now, 0, [.. command.Skip(1).Select(B)]));
        Assert.Equal(before + 1, Freq(store));
    }

    private static long Freq(KeyValueStore store) => ((IntegerReply)store.Read(CommandId.Object, [B("freq"), B("s")], Now)).Value;
}
