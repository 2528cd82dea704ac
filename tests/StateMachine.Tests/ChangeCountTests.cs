using RaftKV.Protocol.Commands;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The store's change counter (INFO's rdb_changes_since_last_save, Redis's "dirty"): a write that changes nothing
/// leaves it alone, as Redis's "SETBIT/BITFIELD only increase dirty when the value changed" checks.
/// </summary>
public sealed class ChangeCountTests
{
    private const long Now = 1_000_000;

    [Fact]
    public void SetBitAndBitfield_CountOnlyWhenTheValueChanged()
    {
        var store = new KeyValueStore();
        var start = store.ChangeCount;

        store.Apply(CommandId.Setbit, Now, "foo", "0", "0");
        store.Apply(CommandId.Bitfield, Now, "foo2", "set", "i5", "0", "0");
        Assert.Equal(start + 2, store.ChangeCount);

        store.Apply(CommandId.Setbit, Now, "foo", "0", "0");
        store.Apply(CommandId.Bitfield, Now, "foo2", "set", "i5", "0", "0");
        Assert.Equal(start + 2, store.ChangeCount);

        store.Apply(CommandId.Setbit, Now, "foo", "0", "1");
        store.Apply(CommandId.Setbit, Now, "foo", "0", "1");
        store.Apply(CommandId.Bitfield, Now, "foo2", "set", "i5", "0", "1");
        store.Apply(CommandId.Bitfield, Now, "foo2", "set", "i5", "0", "1");
        Assert.Equal(start + 4, store.ChangeCount);

        store.Apply(CommandId.Bitfield, Now, "foo3", "incrby", "i5", "0", "1");
        store.Apply(CommandId.Bitfield, Now, "foo3", "incrby", "i5", "0", "1");
        store.Apply(CommandId.Setbit, Now, "foo", "90", "0");
        Assert.Equal(start + 7, store.ChangeCount);
    }

    [Fact]
    public void Writes_Count_Reads_DoNot()
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, Now, "k", "v");
        store.Apply(CommandId.Get, Now, "k");
        store.Apply(CommandId.Get, Now, "missing");
        store.Apply(CommandId.Del, Now, "k");
        Assert.Equal(2, store.ChangeCount);
    }
}
