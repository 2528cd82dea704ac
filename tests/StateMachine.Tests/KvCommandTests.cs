using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Tests.Support;
using static RaftKV.StateMachine.Tests.Support.StoreBuilder;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The gRPC KV and Txn commands (RAFTKV.KV.*, RAFTKV.TXN) on a store driven as the log drives it: each write an entry
/// of its own index, so revisions are index * 1024; reads at the store's time.
/// </summary>
public sealed class KvCommandTests
{
    private const long Start = 1_000_000;
    private const long Rev = KeyValueStore.RevisionsPerEntry;

    private readonly KeyValueStore _store = new();
    private long _index;

    [Fact]
    public void Get_GivesValueModRevisionAndTtl_AndNilForAMissingKey()
    {
        Write("RAFTKV.KV.PUT", "a", "1");
        Write("RAFTKV.KV.PUT", "t", "2", "PX", "5000");
        Assert.Equal($"[(integer) {Rev * 2}, [\"a\", \"1\", (integer) {Rev}, (integer) -1]]", Render(Read("RAFTKV.KV.GET", "a")));
        Assert.Equal($"[(integer) {Rev * 2}, [\"t\", \"2\", (integer) {Rev * 2}, (integer) 5000]]", Render(Read("RAFTKV.KV.GET", "t")));
        Assert.Equal($"[(integer) {Rev * 2}, (nil)]", Render(Read("RAFTKV.KV.GET", "none")));
        Write("LPUSH", "l", "x");
        Assert.StartsWith("(error) WRONGTYPE", Render(Read("RAFTKV.KV.GET", "l")));
    }

    [Fact]
    public void Put_NxXxAndPrevKv_AnswerAppliedRevisionAndPrevious_AndARefusedPutChangesNoRevision()
    {
        Assert.Equal($"[(integer) 1, (integer) {Rev}, (nil)]", Render(Write("RAFTKV.KV.PUT", "k", "v1", "NX", "PREVKV")));
        Assert.Equal($"[(integer) 0, (integer) {Rev}, [\"k\", \"v1\", (integer) {Rev}, (integer) -1]]", Render(Write("RAFTKV.KV.PUT", "k", "v2", "NX", "PREVKV")));
        Assert.Equal(Rev, _store.Keys.Find(B("k"))!.Revision);
        Assert.Equal("[(integer) 0, (integer) 0, (nil)]", Render(Write("RAFTKV.KV.PUT", "missing", "v", "XX")));
        Assert.Equal($"[(integer) 1, (integer) {Rev * 4}, (nil)]", Render(Write("RAFTKV.KV.PUT", "k", "v3", "XX")));
        Assert.Equal("(error) ERR syntax error", Render(Write("RAFTKV.KV.PUT", "k", "v", "NX", "XX")));
        Assert.Equal("(error) ERR invalid expire time in 'raftkv.kv.put' command", Render(Write("RAFTKV.KV.PUT", "k", "v", "PX", "0")));
    }

    [Fact]
    public void Put_RelativeTtl_IsWrittenToTheLogAsAnAbsoluteTime()
    {
        var command = KeyValueStore.ToLogForm(new LogCommand(CommandId.RaftkvKvPut, Start, 0, [B("k"), B("v"), B("PX"), B("100")]));
        Assert.Equal(["k", "v", "PXAT", (Start + 100).ToString(System.Globalization.CultureInfo.InvariantCulture)], command.Arguments.Select(S));
        var txn = KeyValueStore.ToLogForm(new LogCommand(CommandId.RaftkvTxn, Start, 0,
            [.. new[] { "0", "1", "5", "PUT", "k", "v", "PX", "100", "0" }.Select(B)]));
        Assert.Equal(["PXAT", (Start + 100).ToString(System.Globalization.CultureInfo.InvariantCulture)], txn.Arguments[6..8].Select(S));
    }

    [Fact]
    public void Range_PagesThroughAPrefixInByteOrder_SkippingOtherTypesAndExpiredKeys()
    {
        foreach (var key in new[] { "p/c", "p/a", "q/x", "p/b", "p/d" })
        {
            Write("RAFTKV.KV.PUT", key, key.ToUpperInvariant());
        }

        Write("SADD", "p/set", "m");
        Write("RAFTKV.KV.PUT", "p/e", "gone", "PXAT", (Start + 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
        _now = Start + 20;
        var first = Render(Read("RAFTKV.KV.RANGE", "p/", "", "2"));
        Assert.Matches("""^\[\(integer\) \d+, \(integer\) 1, \[\["p/a", "P/A", .*\], \["p/b", "P/B", .*\]\]\]$""", first);
        var second = Render(Read("RAFTKV.KV.RANGE", "p/", "p/b", "2"));
        Assert.Matches("""^\[\(integer\) \d+, \(integer\) 0, \[\["p/c", .*\], \["p/d", .*\]\]\]$""", second);
        Assert.Equal("(error) ERR limit must be between 1 and 10000", Render(Read("RAFTKV.KV.RANGE", "p/", "", "0")));
    }

    [Fact]
    public void Delete_KeysOrAPrefix_AnswersCountAndPreviousItems()
    {
        Write("RAFTKV.KV.PUT", "d/1", "a");
        Write("RAFTKV.KV.PUT", "d/2", "b");
        Write("RAFTKV.KV.PUT", "e", "c");
        Assert.Equal($"[(integer) 1, [[\"e\", \"c\", (integer) {Rev * 3}, (integer) -1]]]", Render(Write("RAFTKV.KV.DELETE", "KEYS", "WITHPREV", "e", "nope")));
        Assert.Equal("[(integer) 2, []]", Render(Write("RAFTKV.KV.DELETE", "PREFIX", "NOPREV", "d/")));
        Assert.Equal(0, _store.KeyCount);
        Assert.Equal("(error) ERR syntax error", Render(Write("RAFTKV.KV.DELETE", "SOME", "NOPREV", "x")));
    }

    [Fact]
    public void Txn_RunsSuccessWhenEveryCompareHolds_ElseFailure_AsOneRevision()
    {
        Write("RAFTKV.KV.PUT", "x", "1");
        var casOk = Write("RAFTKV.TXN", "2", "x", "VALUE", "EQ", "1", "x", "MOD", "EQ", Rev.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "2", "3", "PUT", "x", "2", "3", "PUT", "y", "2", "1", "2", "GET", "x");
        Assert.Equal($"[(integer) 1, (integer) {Rev * 2}, [[(integer) 1, (integer) {Rev * 2}, (nil)], [(integer) 1, (integer) {Rev * 2}, (nil)]]]", Render(casOk));
        var casStale = Write("RAFTKV.TXN", "1", "x", "VALUE", "EQ", "1", "1", "3", "PUT", "x", "3", "1", "2", "GET", "x");
        Assert.Equal($"[(integer) 0, (integer) {Rev * 3}, [[(integer) {Rev * 3}, [\"x\", \"2\", (integer) {Rev * 2}, (integer) -1]]]]", Render(casStale));
        Assert.Equal($"[(integer) 1, (integer) {Rev * 4}, []]", Render(Write("RAFTKV.TXN", "2", "gone", "EXISTS", "EQ", "0", "gone", "MOD", "LT", "1", "0", "0")));
        Assert.Equal("(error) ERR Txn: unknown operation 'INCR'", Render(Write("RAFTKV.TXN", "0", "1", "2", "INCR", "x", "0")));
        Assert.Equal("(error) ERR syntax error", Render(Write("RAFTKV.TXN", "1", "x", "VERSION", "EQ", "1", "0", "0")));
    }

    [Fact]
    public void Txn_AclKeyPositions_AreTheKeysOfItsComparesAndOperations()
    {
        string[] request = ["RAFTKV.TXN", "1", "x", "VALUE", "EQ", "1", "1", "3", "PUT", "y", "2", "1", "4", "DELETE", "PREFIX", "NOPREV", "p/"];
        Assert.Equal([2, 9, 16], Acl.AclRequest.KeyPositions(Spec("RAFTKV.TXN"), [.. request.Select(B)]));
    }

    private long _now = Start;

    private Reply Write(params string[] request)
    {
        var spec = Spec(request[0]);
        var args = request.Skip(1).Select(B).ToArray();
        if (KeyValueStore.Validate(spec.Id, args) is { } invalid)
        {
            return invalid;
        }

        return _store.Apply(KeyValueStore.ToLogForm(new LogCommand(spec.Id, _now, 0, args)), ++_index);
    }

    private Reply Read(params string[] request) => _store.Read(Spec(request[0]).Id, [.. request.Skip(1).Select(B)], _now);

    private static CommandSpec Spec(string name) =>
        CommandTable.TryGet(B(name), out var spec) ? spec : throw new ArgumentException(name);

    private static string S(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    private static string Render(Reply reply) => ReplyText.Render(reply);
}
