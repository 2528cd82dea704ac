using System.Text;
using RaftKV.Node.Server;

namespace RaftKV.Node.Tests;

/// <summary>INFO errorstats' table on its own: Redis's error codes, its INFO-safe names and its bound on distinct codes.</summary>
public sealed class ErrorStatsTests
{
    [Theory]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value", "WRONGTYPE")]
    [InlineData("ERR unknown command 'x'", "ERR")]
    [InlineData("NOSCRIPT No matching script.", "NOSCRIPT")]
    [InlineData("ERR", "ERR")]
    [InlineData("MYCODE", "ERR")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234 x", "ERR")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123")]
    public void Code_IsTheFirstWordWhenASpaceEndsItWithin32Bytes(string message, string code)
    {
        Assert.Equal(code, RaftKV.Protocol.Replies.ErrorReply.CodeOf(message));
    }

    [Fact]
    public void Lines_AreInByteOrder_WithCharactersInfoCannotCarryAsUnderscores()
    {
        var stats = new ErrorStats();
        stats.Count("WRONGTYPE x");
        stats.Count("A:B#C x");
        stats.Count("ERR x");
        stats.Count("ERR y");
        Assert.Equal("errorstat_A_B_C:count=1\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n", Text(stats));
    }

    [Fact]
    public void PastTheMaximumOfCodes_OnlyErrorstatsDisabledIsKept_UntilReset()
    {
        var stats = new ErrorStats();
        for (var i = 0; i < ErrorStats.MaxCodes; i++)
            stats.Count($"C{i} x");
        Assert.Equal(ErrorStats.MaxCodes, Text(stats).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        stats.Count("C0 x");
        Assert.Contains("errorstat_C0:count=2\r\n", Text(stats), StringComparison.Ordinal);

        stats.Count("NEW x");
        Assert.Equal("errorstat_ERRORSTATS_DISABLED:count=1\r\n", Text(stats));
        stats.Count("C0 x");
        stats.Count("OTHER x");
        Assert.Equal("errorstat_ERRORSTATS_DISABLED:count=1\r\n", Text(stats));

        stats.Reset();
        Assert.Equal(string.Empty, Text(stats));
        stats.Count("ERR x");
        Assert.Equal("errorstat_ERR:count=1\r\n", Text(stats));
    }

    private static string Text(ErrorStats stats)
    {
        var text = new StringBuilder();
        stats.AppendTo(text);
        return text.ToString();
    }
}
