using System.Globalization;
using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>SINTERCARD looks the smallest set's members up in the others and stops at LIMIT, as Redis does.</summary>
public sealed class SetInterCardTests
{
    [Theory]
    [InlineData("0", 500)]
    [InlineData("1", 1)]
    [InlineData("499", 499)]
    [InlineData("500", 500)]
    [InlineData("10000", 500)]
    public void Count_IsTheIntersection_UpToTheLimit(string limit, long expected)
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Sadd, 1, ["a", .. Enumerable.Range(0, 2000).Select(static i => "m" + i.ToString(CultureInfo.InvariantCulture))]);
        store.Apply(CommandId.Sadd, 1, ["b", .. Enumerable.Range(1500, 1000).Select(static i => "m" + i.ToString(CultureInfo.InvariantCulture))]);
        store.Apply(CommandId.Sadd, 1, ["c", .. Enumerable.Range(0, 3000).Select(static i => "m" + i.ToString(CultureInfo.InvariantCulture))]);
        Assert.Equal($"(integer) {expected}", ReplyText.Render(store.Read(CommandId.Sintercard, [B("3"), B("a"), B("b"), B("c"), B("LIMIT"), B(limit)], 1)));
        Assert.Equal("(integer) 0", ReplyText.Render(store.Read(CommandId.Sintercard, [B("2"), B("a"), B("missing")], 1)));
        Assert.Equal("(integer) 2000", ReplyText.Render(store.Read(CommandId.Sintercard, [B("2"), B("a"), B("a")], 1)));
    }
}
