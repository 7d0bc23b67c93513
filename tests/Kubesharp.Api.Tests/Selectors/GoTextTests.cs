using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Tests.Selectors;

public sealed class GoTextTests
{
    [Theory]
    [InlineData("plain", "abc", "\"abc\"")]
    [InlineData("quote and backslash", "a\"b\\", "\"a\\\"b\\\\\"")]
    [InlineData("control characters", "\n\t\u0001\u007f", "\"\\n\\t\\x01\\x7f\"")]
    [InlineData("printable unicode kept", "é😀", "\"é😀\"")]
    [InlineData("non-printable unicode escaped", "\u00a0\u2028", "\"\\u00a0\\u2028\"")]
    public void Quote_writes_as_Go_quotes(string name, string value, string quoted)
    {
        Assert.True(quoted == GoText.Quote(value), $"{name}: got {GoText.Quote(value)}");
    }

    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("007", true, 7L)]
    [InlineData("+5", true, 5L)]
    [InlineData("-5", true, -5L)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("-9223372036854775808", true, long.MinValue)]
    [InlineData("9223372036854775808", false, 0L)]
    [InlineData("-9223372036854775809", false, 0L)]
    [InlineData("99999999999999999999999", false, 0L)]
    [InlineData("", false, 0L)]
    [InlineData("-", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("1_000", false, 0L)]
    [InlineData("1e3", false, 0L)]
    public void Integers_parse_as_Go_ParseInt_base_10(string text, bool ok, long expected)
    {
        Assert.Equal((ok, expected), (GoText.TryParseInt64(text, out var value), value));
        Assert.Equal((ok, expected), (GoText.TryParseInt64(System.Text.Encoding.UTF8.GetBytes(text), out var utf8), utf8));
    }

    [Fact]
    public void Strings_order_by_code_point_as_Go_orders_bytes()
    {
        // UTF-16 ordinal order puts U+FFFD after the surrogate pair of U+1F600; UTF-8 order puts it before.
        Assert.True(GoText.CompareCodePoints("\uFFFD", "😀") < 0);
        Assert.True(string.CompareOrdinal("\uFFFD", "😀") > 0);
        Assert.True(GoText.CompareCodePoints("a", "b") < 0);
        Assert.True(GoText.CompareCodePoints("ab", "a") > 0);
        Assert.Equal(0, GoText.CompareCodePoints("x", "x"));
    }
}
