using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Values;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// Strings of up to 15 bytes live inside their value object, longer ones in an array (<see cref="StringValue"/>): every
/// length around the two boundaries, with zero and 0xFF bytes, must read back, append, report its encoding and survive
/// a snapshot exactly as an array-backed string would.
/// </summary>
public sealed class StringValueTests
{
    [Fact]
    public void EveryLengthAroundTheInlineLimits_ReadsBackAndRoundTripsThroughASnapshot()
    {
        var store = new KeyValueStore();
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var length = 0; length <= 20; length++)
        {
            var value = Enumerable.Range(0, length).Select(static i => (byte)(i % 3 == 0 ? 0 : i % 3 == 1 ? 0xFF : 'a' + i)).ToArray();
            var key = "s" + length;
            values[key] = value;
            store.Apply(new LogCommand(CommandId.Set, 1, 0, [B(key), value]));
        }

        var restored = Restore(Snapshot(store)).Store;
        Assert.Equal(store.Digest(), restored.Digest());
        foreach (var (key, value) in values)
        {
            foreach (var current in new[] { store, restored })
            {
                Assert.Equal(value, ((BulkReply)current.Read(CommandId.Get, [B(key)], 1)).Value);
                Assert.Equal(value.Length, ((IntegerReply)current.Read(CommandId.Strlen, [B(key)], 1)).Value);
                Assert.Equal("embstr", Encoding(current, key));
            }

            store.Apply(new LogCommand(CommandId.Append, 1, 0, [B(key), B("z")]));
            Assert.Equal([.. value, (byte)'z'], ((BulkReply)store.Read(CommandId.Get, [B(key)], 1)).Value);
            Assert.Equal("raw", Encoding(store, key));
        }
    }

    [Theory]
    [InlineData("7", "int")]
    [InlineData("1234567", "int")]
    [InlineData("123456789012345", "int")]
    [InlineData("-12345678901234567", "int")]
    [InlineData("12345678", "int")]
    [InlineData("0123", "embstr")]
    public void ObjectEncoding_OfIntegers_IsInt_AsInRedis(string value, string expected)
    {
        var store = new KeyValueStore();
        store.Apply(CommandId.Set, 1, "k", value);
        Assert.Equal(expected, Encoding(store, "k"));
    }

    private static string Encoding(KeyValueStore store, string key) =>
        System.Text.Encoding.ASCII.GetString(((BulkReply)store.Read(CommandId.Object, [B("ENCODING"), B(key)], 1)).Value);
}
