using System.Text;
using RaftKV.StateMachine.Scripting;

namespace RaftKV.StateMachine.Tests.Scripting;

/// <summary>
/// ScriptLibraries' contract, and the determinism the libraries owe a replicated state machine:
/// Lua 5.4 seeds string hashing per state, so anything that follows pairs() order would differ
/// between replicas; each test runs in several states, which have different seeds.
/// </summary>
public sealed class ScriptLibrariesTests
{
    private const int States = 12;

    [Fact]
    public void All_ListsCompat51ThenTheFourLibrariesInLoadOrder()
    {
        Assert.Equal(["compat51", "bit", "struct", "cjson", "cmsgpack"], ScriptLibraries.All.Select(static l => l.Name));
        Assert.All(ScriptLibraries.All, static l => Assert.False(string.IsNullOrWhiteSpace(l.Source)));
    }

    [Fact]
    public void Sources_AreAscii_SoEveryStringMarshallingLoadsThemByteForByte()
    {
        foreach (var (name, source) in ScriptLibraries.All)
            Assert.True(source.All(static c => c is '\n' or '\r' or (>= ' ' and <= '~')), $"{name}.lua has a non-ASCII or control character");
    }

    [Fact]
    public void CjsonEncode_ManyStringKeys_SameSortedTextInEveryStateAndInsertionOrder()
    {
        var keys = Enumerable.Range(0, 300).Select(static i => $"key:{i * 7919 % 1000}").Distinct().ToArray();
        var expected = "{" + string.Join(",", keys.Order(StringComparer.Ordinal).Select(static k => $"\"{k}\":\"v{k}\"")) + "}";
        for (var i = 0; i < States; i++)
        {
            using var state = new LuaLibraryState();
            var forward = Encoding.Latin1.GetString(state.EvalBytes(Fill(keys, "return cjson.encode(t)")));
            var backward = Encoding.Latin1.GetString(state.EvalBytes(Fill(keys.Reverse(), "return cjson.encode(t)")));
            Assert.Equal(expected, forward);
            Assert.Equal(expected, backward);
        }
    }

    [Fact]
    public void CmsgpackPack_ManyKeysOfMixedTypes_SameBytesInEveryStateAndInsertionOrder()
    {
        var keys = Enumerable.Range(0, 300).Select(static i => $"k{i * 31 % 997}").Distinct().ToArray();
        const string extra = "t[1] = 'one' t[2.5] = 'x' t[true] = 'yes' t[false] = 'no' t[{1}] = 'a' t[{2}] = 'b' ";
        byte[]? first = null;
        for (var i = 0; i < States; i++)
        {
            using var state = new LuaLibraryState();
            var forward = state.EvalBytes(Fill(keys, extra + "return cmsgpack.pack(t)"));
            var backward = state.EvalBytes(Fill(keys.Reverse(), extra + "return cmsgpack.pack(t)"));
            first ??= forward;
            Assert.Equal(first, forward);
            Assert.Equal(first, backward);
        }

        // Numbers first (1, then 2.5), then strings: map16 header, then 1 => "one".
        Assert.Equal(new byte[] { 0xDE, (byte)((keys.Length + 6) >> 8), (byte)(keys.Length + 6), 0x01, 0xA3, (byte)'o', (byte)'n', (byte)'e' }, first![..8]);
    }

    [Fact]
    public void CmsgpackPack_CircularReference_IsRedisEncodingWithKeysSorted()
    {
        // scripting.tcl's "cmsgpack can pack and unpack circular references?" pins Redis's hex,
        // whose maps list y before x (Lua 5.1's hash order); RaftKV lists x first, same bytes otherwise.
        const string redis = "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a178c0";
        static string Sorted(int level, bool isA) =>
            level == 16 ? "c0" : isA ? "82a178" + Sorted(level + 1, false) + "a17905" : "81a178" + Sorted(level + 1, true);

        using var state = new LuaLibraryState();
        var packed = state.EvalBytes("local a = {y = 5} local b = {x = a} a.x = b return cmsgpack.pack(a)");
        Assert.Equal(Sorted(0, true), Convert.ToHexStringLower(packed));
        Assert.Equal(redis.Length, Sorted(0, true).Length);
        Assert.NotEqual(redis, Sorted(0, true));
    }

    [Fact]
    public void CjsonEncode_KeysOfTwoUnsupportedTypes_ReportsTheSameErrorInEveryState()
    {
        // Found failing before the fix: the C library (and the first version of ours) reports the
        // first bad key pairs() meets, and a table key's place in that order varies between states.
        var errors = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < States * 2; i++)
        {
            using var state = new LuaLibraryState();
            for (var j = 0; j < 8; j++)
                errors.Add(state.Eval($"local t = {{}} t[true] = 1 for i = 1, {j} do t[{{}}] = i end t[{{}}] = 2 return cjson.encode(t)"));
        }

        Assert.Equal(["!Cannot serialise boolean: table key must be a number or string"], errors);
    }

    [Fact]
    public void Decoders_HugeClaimedLengthsAndDeepNesting_FailFastWithTheLibrariesErrors()
    {
        using var state = new LuaLibraryState();
        Assert.Equal("!Missing bytes in input.", state.Eval("return cmsgpack.unpack('\\223\\255\\255\\255\\255\\1')"));
        Assert.Equal("!Missing bytes in input.", state.Eval("return cmsgpack.unpack('\\219\\255\\255\\255\\255abc')"));
        Assert.Equal("!stack overflow (in function mp_decode_to_lua_array)", state.Eval("return cmsgpack.unpack(string.rep('\\145', 1000000))"));
        Assert.Equal("!Found too many nested data structures (1001) at character 1001", state.Eval("return cjson.decode(string.rep('[', 1000000))"));
        Assert.Equal("!bad argument #2 to 'unpack' (data string too short)", state.Eval("return struct.unpack('c2000000000', 'ab')"));
    }

    private static string Fill(IEnumerable<string> keys, string tail)
    {
        var script = new StringBuilder("local t = {} ");
        foreach (var key in keys)
            script.Append("t['").Append(key).Append("'] = 'v").Append(key).Append("' ");
        return script.Append(tail).ToString();
    }
}
