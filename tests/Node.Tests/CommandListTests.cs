using System.Text;
using RaftKV.Node.Server;

namespace RaftKV.Node.Tests;

/// <summary>COMMAND LIST (with its FILTERBY forms) and COMMAND INFO's movablekeys flag as Redis 7.0 answers them.</summary>
public sealed class CommandListTests
{
    private static string Command(params string[] args) =>
        CommandCommand.Execute([.. new[] { "COMMAND" }.Concat(args).Select(Encoding.UTF8.GetBytes)]).ToString()!;

    [Fact]
    public void List_NamesSubcommandsAsContainerBarSubcommand()
    {
        var all = Command("LIST");
        Assert.Contains("$set,", all);
        Assert.Contains("$client|list,", all);
        Assert.Contains("$config|get,", all);
    }

    [Fact]
    public void List_WithBadArguments_IsASyntaxError()
    {
        Assert.StartsWith("-ERR syntax error", Command("LIST", "bad_arg"));
        Assert.StartsWith("-ERR syntax error", Command("LIST", "FILTERBY", "bad_arg"));
        Assert.StartsWith("-ERR syntax error", Command("LIST", "FILTERBY", "bad_arg", "bad_arg2"));
    }

    [Fact]
    public void List_FiltersByAclCategory_PatternAndModule()
    {
        Assert.Equal("[]", Command("LIST", "FILTERBY", "ACLCAT", "non_existing_category"));
        var scripting = Command("LIST", "FILTERBY", "aclcat", "scripting");
        Assert.Contains("$eval,", scripting);
        Assert.Contains("$script|kill", scripting);
        Assert.DoesNotContain("$set,", scripting);

        Assert.Equal("[$set]", Command("LIST", "FILTERBY", "PATTERN", "set"));
        var config = Command("LIST", "FILTERBY", "PATTERN", "config|*re*");
        Assert.Contains("$config|resetstat", config);
        Assert.Contains("$config|rewrite", config);
        Assert.DoesNotContain("$config|get", config);
        var help = Command("LIST", "FILTERBY", "PATTERN", "cl*help");
        Assert.Contains("$client|help", help);
        Assert.Contains("$cluster|help", help);
        Assert.Equal("[]", Command("LIST", "FILTERBY", "PATTERN", "non_exists*"));
        Assert.Equal("[]", Command("LIST", "FILTERBY", "MODULE", "non_existing_module"));
    }

    [Theory]
    [InlineData("zunionstore", true)]
    [InlineData("xread", true)]
    [InlineData("eval", true)]
    [InlineData("sort", true)]
    [InlineData("sort_ro", true)]
    [InlineData("georadius", true)]
    [InlineData("set", false)]
    [InlineData("blpop", false)]
    [InlineData("georadius_ro", false)]
    [InlineData("memory", false)]
    public void Info_MarksCommandsWhoseKeysAreFoundByTheirArguments_AsMovablekeys(string name, bool movable)
    {
        var info = Command("INFO", name);
        Assert.Equal(movable, info.Contains("movablekeys", StringComparison.Ordinal));
    }
}
