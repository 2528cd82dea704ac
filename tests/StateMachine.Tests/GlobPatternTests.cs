using System.Text;
using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Tests;

/// <summary>Cases checked against Redis's stringmatchlen (util.c) behaviour.</summary>
public sealed class GlobPatternTests
{
    [Theory]
    // Redis's matcher says no here; KEYS and SCAN special-case the pattern "*" before matching.
    [InlineData("*", "", false)]
    [InlineData("a*", "", false)]
    [InlineData("*", "anything", true)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("a*", "a", true)]
    [InlineData("a*b", "axxb", true)]
    [InlineData("a*b", "axxbc", false)]
    [InlineData("*a*b*c*", "xaybzc", true)]
    [InlineData("?", "", false)]
    [InlineData("??", "ab", true)]
    [InlineData("[abc]", "b", true)]
    [InlineData("[abc]", "d", false)]
    [InlineData("[^abc]", "d", true)]
    [InlineData("[^abc]", "a", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[c-a]x", "bx", true)]
    [InlineData("[a-c]", "d", false)]
    [InlineData(@"[\]]", "]", true)]
    [InlineData(@"\*", "*", true)]
    [InlineData(@"\*", "a", false)]
    [InlineData(@"a\", @"a\", true)]
    [InlineData("[ab", "a", true)]
    [InlineData("[", "a", false)]
    [InlineData("a**", "a", true)]
    [InlineData("a*?", "a", false)]
    public void IsMatch_BehavesAsRedis(string pattern, string text, bool expected) =>
        Assert.Equal(expected, GlobPattern.IsMatch(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void IsMatch_RangeOverHighBytes_ComparesAsSignedChar()
    {
        // In C, char is signed: 0xF0 sorts below 'a', so [\xF0-a] covers 'A' too.
        Assert.True(GlobPattern.IsMatch([(byte)'[', 0xF0, (byte)'-', (byte)'a', (byte)']'], "A"u8));
    }

    [Fact]
    public void IsMatch_AbusivePattern_FinishesQuickly()
    {
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a*", 30)) + "b");
        var text = Encoding.ASCII.GetBytes(new string('a', 60));
        Assert.False(GlobPattern.IsMatch(pattern, text));
    }
}
