using System.Text;
using RaftKV.Protocol.Resp;

namespace RaftKV.Protocol.Tests.Resp;

public class RedisNumberTests
{
    [Theory]
    [InlineData(1.1, "1.1000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(1e20, "1e+20")]
    [InlineData(0.5, "0.5")]
    [InlineData(0.0, "0")]
    [InlineData(-0.0, "-0")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(1e-5, "1.0000000000000001e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(123456789012345678.0, "1.2345678901234568e+17")]
    [InlineData(12345678901234567.0, "12345678901234568")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(1e17, "1e+17")]
    [InlineData(1.5e300, "1.5000000000000001e+300")]
    [InlineData(5e-324, "4.9406564584124654e-324")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(3.14159, "3.1415899999999999")]
    [InlineData(10.5, "10.5")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "nan")]
    public void FormatDouble_MatchesPercent17g(double value, string expected) =>
        Assert.Equal(expected, RedisNumber.FormatDouble(value));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1", 1L)]
    [InlineData("-1", -1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("1234567890", 1234567890L)]
    public void TryParseLong_Valid(string text, long expected)
    {
        Assert.True(RedisNumber.TryParseLong(Encoding.ASCII.GetBytes(text), out long value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-1", -1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void FormatLong_WritesWhatTryParseLongReads(string expected, long value)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(RedisNumber.FormatLong(value)));
        Assert.True(RedisNumber.TryParseLong(RedisNumber.FormatLong(value), out var back));
        Assert.Equal(value, back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("00")]
    [InlineData("-0")]
    [InlineData("-01")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1a")]
    [InlineData("1.0")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("99999999999999999999")]
    [InlineData("123456789012345678901")]
    public void TryParseLong_Invalid(string text) =>
        Assert.False(RedisNumber.TryParseLong(Encoding.ASCII.GetBytes(text), out _));

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("-1.5", -1.5)]
    [InlineData("+1.5", 1.5)]
    [InlineData("10", 10.0)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("1E-2", 0.01)]
    [InlineData("0", 0.0)]
    [InlineData("0e-500", 0.0)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("+INF", double.PositiveInfinity)]
    [InlineData("-Inf", double.NegativeInfinity)]
    [InlineData("infinity", double.PositiveInfinity)]
    [InlineData("5.0e-324", 5e-324)]
    public void TryParseDouble_Valid(string text, double expected)
    {
        Assert.True(RedisNumber.TryParseDouble(Encoding.ASCII.GetBytes(text), out double value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("-nan")]
    [InlineData("abc")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData(".")]
    [InlineData("-")]
    [InlineData("1,5")]
    [InlineData("1_000")]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e-400")]
    [InlineData("infx")]
    [InlineData("in")]
    public void TryParseDouble_Invalid(string text) =>
        Assert.False(RedisNumber.TryParseDouble(Encoding.ASCII.GetBytes(text), out _));
}
