using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Protocol.Tests.Replies;

public class ErrorMessagesTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void UnknownCommand_WithArgs_ListsEachQuotedWithTrailingSpace() =>
        Assert.Equal(
            "ERR unknown command 'foo', with args beginning with: 'a' 'bc' ",
            ErrorMessages.UnknownCommand("foo", [B("a"), B("bc")]));

    [Fact]
    public void UnknownCommand_WithoutArgs_EndsAfterTheColonAndSpace() =>
        Assert.Equal("ERR unknown command 'foo', with args beginning with: ", ErrorMessages.UnknownCommand("foo", []));

    [Fact]
    public void UnknownCommand_LongArgument_IsCutTo128Bytes() =>
        Assert.Equal(
            "ERR unknown command 'x', with args beginning with: '" + new string('a', 128) + "' ",
            ErrorMessages.UnknownCommand("x", [B(new string('a', 200)), B("next")]));

    [Fact]
    public void UnknownCommand_SecondArgument_GetsOnlyWhatRemainsOf128() =>
        Assert.Equal(
            "ERR unknown command 'x', with args beginning with: '" + new string('a', 100) + "' '" + new string('b', 25) + "' ",
            ErrorMessages.UnknownCommand("x", [B(new string('a', 100)), B(new string('b', 100)), B("c")]));

    [Fact]
    public void UnknownCommand_ArgumentsStopOnceListReaches128()
    {
        Assert.Equal(
            "ERR unknown command 'x', with args beginning with: '" + new string('a', 125) + "' ",
            ErrorMessages.UnknownCommand("x", [B(new string('a', 125)), B("bcd")]));
        Assert.Equal(
            "ERR unknown command 'x', with args beginning with: '" + new string('a', 124) + "' 'b' ",
            ErrorMessages.UnknownCommand("x", [B(new string('a', 124)), B("bcd"), B("e")]));
    }

    [Fact]
    public void UnknownCommand_NameIsCutTo128() =>
        Assert.Equal(
            "ERR unknown command '" + new string('n', 128) + "', with args beginning with: ",
            ErrorMessages.UnknownCommand(new string('n', 300), []));

    [Fact]
    public void UnknownCommand_LineBreaksBecomeSpacesAndNulEndsAnArgument() =>
        Assert.Equal(
            "ERR unknown command 'a b', with args beginning with: 'x  y' 'p' ",
            ErrorMessages.UnknownCommand("a\nb", [B("x\r\ny"), [(byte)'p', 0, (byte)'q']]));

    [Fact]
    public void WrongArity_LowerCasesTheName() =>
        Assert.Equal("ERR wrong number of arguments for 'get' command", ErrorMessages.WrongArity("GET"));

    [Fact]
    public void UnknownSubcommand_UpperCasesTheCommand() =>
        Assert.Equal("ERR unknown subcommand 'foo'. Try CLIENT HELP.", ErrorMessages.UnknownSubcommand("foo", "client"));

    [Fact]
    public void ToReply_WrapsTheMessage() =>
        Assert.Equal(ErrorMessages.Syntax, ErrorMessages.ToReply(ErrorMessages.Syntax).Message);

    [Fact]
    public void Constants_AreRedisTexts()
    {
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", ErrorMessages.WrongType);
        Assert.Equal("ERR value is not an integer or out of range", ErrorMessages.NotInteger);
        Assert.Equal("ERR value is not a valid float", ErrorMessages.NotFloat);
        Assert.Equal("ERR increment would produce NaN or Infinity", ErrorMessages.IncrNanOrInf);
        Assert.Equal("ERR string exceeds maximum allowed size (proto-max-bulk-len)", ErrorMessages.StringTooLong);
        Assert.Equal("CLUSTERDOWN No Raft leader", ErrorMessages.ClusterDown);
    }
}
