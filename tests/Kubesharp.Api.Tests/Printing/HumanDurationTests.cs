using Kubesharp.Api.Printing;

namespace Kubesharp.Api.Tests.Printing;

public sealed class HumanDurationTests
{
    [Theory]
    [InlineData("two seconds in the future is invalid", -2_000, "<invalid>")]
    [InlineData("1.9s in the future is clock skew", -1_900, "0s")]
    [InlineData("1s in the future is clock skew", -1_000, "0s")]
    [InlineData("now", 0, "0s")]
    [InlineData("fractions truncate", 1_999, "1s")]
    [InlineData("last plain seconds", 119_999, "119s")]
    [InlineData("two minutes", 120_000, "2m")]
    [InlineData("minutes and seconds", 121_000, "2m1s")]
    [InlineData("last minutes with seconds", 599_000, "9m59s")]
    [InlineData("ten minutes drop the seconds", 600_000, "10m")]
    [InlineData("just under three hours", 10_799_000, "179m")]
    [InlineData("three hours", 10_800_000, "3h")]
    [InlineData("hours and minutes", 11_040_000, "3h4m")]
    [InlineData("last hours with minutes", 28_740_000, "7h59m")]
    [InlineData("eight hours drop the minutes", 28_800_000, "8h")]
    [InlineData("just under two days", 172_799_000, "47h")]
    [InlineData("two days", 172_800_000, "2d")]
    [InlineData("days and hours", 183_600_000, "2d3h")]
    [InlineData("last days with hours", 691_200_000 - 3_600_000, "7d23h")]
    [InlineData("eight days drop the hours", 691_200_000, "8d")]
    [InlineData("just under two years", 63_071_999_000, "729d")]
    [InlineData("two years", 63_072_000_000, "2y")]
    [InlineData("years and days", 63_158_400_000, "2y1d")]
    [InlineData("last years with days", 252_201_600_000, "7y364d")]
    [InlineData("eight years drop the days", 252_288_000_000, "8y")]
    [InlineData("long ago", 3_153_600_000_000, "100y")]
    public void Formats_as_upstream(string name, long milliseconds, string expected)
    {
        var actual = DurationFormat.HumanDuration(TimeSpan.FromMilliseconds(milliseconds));
        Assert.True(expected == actual, $"{name}: expected {expected}, got {actual}");
    }
}
