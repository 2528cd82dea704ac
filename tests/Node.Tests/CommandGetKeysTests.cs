using System.Text;
using RaftKV.Node.Server;

namespace RaftKV.Node.Tests;

/// <summary>COMMAND GETKEYS as Redis 7.0 answers it, for containers, numkeys commands and commands without keys.</summary>
public sealed class CommandGetKeysTests
{
    private static string GetKeys(params string[] command) =>
        CommandCommand.Execute([.. new[] { "COMMAND", "GETKEYS" }.Concat(command).Select(Encoding.UTF8.GetBytes)]).ToString()!;

    [Fact]
    public void MemoryUsage_NamesItsKey()
    {
        Assert.Equal("[$key]", GetKeys("memory", "usage", "key"));
    }

    [Fact]
    public void EvalWithoutKeys_AnswersAnEmptyArray_AndWithKeysNamesThem()
    {
        Assert.Equal("[]", GetKeys("eval", "return 1", "0"));
        Assert.Equal("[$key]", GetKeys("eval", "return 1", "1", "key"));
    }

    [Fact]
    public void XreadNamesTheKeysAfterStreams()
    {
        Assert.Equal("[$a, $b]", GetKeys("xread", "count", "1", "streams", "a", "b", "0", "0"));
    }

    [Fact]
    public void SortNamesItsLastStoreDestination_AfterSkippingOptionArguments()
    {
        Assert.Equal("[$abc, $def]", GetKeys("sort", "abc", "store", "def"));
        Assert.Equal("[$abc, $def]", GetKeys("sort", "abc", "store", "invalid", "store", "stillbad", "store", "def"));
        Assert.Equal("[$abc]", GetKeys("sort", "abc", "by", "store", "get", "store"));
        Assert.Equal("[$abc]", GetKeys("sort_ro", "abc"));
    }

    [Fact]
    public void ACommandWithoutKeys_IsRefusedAsRedisRefusesIt()
    {
        Assert.Equal("-ERR The command has no key arguments", GetKeys("ping"));
        Assert.Equal("-ERR The command has no key arguments", GetKeys("memory", "doctor"));
    }
}
