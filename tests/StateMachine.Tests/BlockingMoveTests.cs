using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using static RaftKV.StateMachine.Tests.Support.ReplyText;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// A woken BLMOVE or BRPOPLPUSH keeps waiting when its source holds another type, and answers WRONGTYPE when its
/// destination does (Redis 7.0). The node decides from the reply of the retry's own entry, so the state machine tells
/// the two WRONGTYPEs apart; the client sees the same words for both.
/// </summary>
public sealed class BlockingMoveTests
{
    [Theory]
    [InlineData("BLMOVE", "LEFT", "LEFT", "0")]
    [InlineData("BRPOPLPUSH", "0")]
    public void AMoveFromASourceOfAnotherType_IsToldApartFromAMoveToADestinationOfAnotherType(string command, params string[] tail)
    {
        var id = command == "BLMOVE" ? CommandId.Blmove : CommandId.Brpoplpush;
        var store = new KeyValueStore();
        store.Apply(new LogCommand(CommandId.Set, 1000, 0, [B("string"), B("foo")]));
        store.Apply(new LogCommand(CommandId.Rpush, 1000, 0, [B("list"), B("a")]));

        var fromString = store.Apply(new LogCommand(id, 1000, 0, [B("string"), B("dst"), .. tail.Select(B)]));
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", Assert.IsType<ErrorReply>(fromString).Message);
        Assert.True(KeyValueStore.IsBlockedSourceOfOtherType(fromString));

        var toString = store.Apply(new LogCommand(id, 1000, 0, [B("list"), B("string"), .. tail.Select(B)]));
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", Assert.IsType<ErrorReply>(toString).Message);
        Assert.False(KeyValueStore.IsBlockedSourceOfOtherType(toString));
        Assert.Equal("(integer) 1", Render(store.Read(CommandId.Llen, [B("list")], 1000)));
    }
}
