using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Tests.Support;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// stream-node-max-entries (replicated configuration) sizes the emulated radix-tree nodes that approximate trimming
/// removes, and 100 times it is the default LIMIT of <c>~</c> trimming, as in Redis (the suite's "XADD with LIMIT
/// consecutive calls" and "XTRIM with LIMIT delete entries no more than limit" set it; nodes were fixed at 100).
/// </summary>
public sealed class StreamNodeSizeTests
{
    private static string Run(KeyValueStore store, CommandId id, params string[] args) =>
        ReplyText.Render(store.Apply(id, 1000, args));

    private static void Fill(KeyValueStore store, int count)
    {
        for (var i = 1; i <= count; i++)
            Run(store, CommandId.Xadd, "s", $"{i}-0", "f", "v");
    }

    [Fact]
    public void XaddWithLimit_TrimsWholeNodesOfTheConfiguredSize()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Run(store, CommandId.ConfigSet, "stream-node-max-entries", "10"));
        Fill(store, 100);

        Run(store, CommandId.Xadd, "s", "MAXLEN", "~", "55", "LIMIT", "30", "101-0", "f", "v");
        Assert.Equal("(integer) 71", Run(store, CommandId.Xlen, "s"));
        Run(store, CommandId.Xadd, "s", "MAXLEN", "~", "55", "LIMIT", "30", "102-0", "f", "v");
        Assert.Equal("(integer) 62", Run(store, CommandId.Xlen, "s"));
    }

    [Fact]
    public void XtrimWithLimit_RemovesNoNodeLargerThanTheLimit()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Run(store, CommandId.ConfigSet, "stream-node-max-entries", "2"));
        Fill(store, 3);

        Assert.Equal("(integer) 0", Run(store, CommandId.Xtrim, "s", "MAXLEN", "~", "0", "LIMIT", "1"));
        Assert.Equal("(integer) 2", Run(store, CommandId.Xtrim, "s", "MAXLEN", "~", "0", "LIMIT", "2"));
    }

    [Fact]
    public void ApproximateTrimWithoutLimit_RemovesAtMostAHundredNodes()
    {
        var store = new KeyValueStore();
        Assert.Equal("OK", Run(store, CommandId.ConfigSet, "stream-node-max-entries", "1"));
        Fill(store, 250);

        // LIMIT defaults to 100 * stream-node-max-entries = 100 entries.
        Assert.Equal("(integer) 100", Run(store, CommandId.Xtrim, "s", "MAXLEN", "~", "1"));
        Assert.Equal("(integer) 150", Run(store, CommandId.Xlen, "s"));
    }
}
