using Kubesharp.Api.Quantities;

namespace Kubesharp.Api.Tests.Quantities;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("100m", "100m")]
    [InlineData("1000m", "1")]
    [InlineData("0.5", "500m")]
    [InlineData("1.5", "1500m")]
    [InlineData("1Gi", "1Gi")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("1.5Gi", "1536Mi")]
    [InlineData("8Mi", "8Mi")]
    [InlineData("1e3", "1e3")]
    [InlineData("1e4", "10e3")]
    [InlineData("1E", "1E")]
    [InlineData("12k", "12k")]
    [InlineData("0.1", "100m")]
    [InlineData("1n", "1n")]
    [InlineData("0.0000000001", "1n")]
    [InlineData("-1", "-1")]
    [InlineData("500Mi", "500Mi")]
    [InlineData("512Ki", "512Ki")]
    [InlineData("1.0", "1")]
    [InlineData("0.5Ki", "512")]
    [InlineData("100Ei", "9223372036854775807")]
    [InlineData(".5", "500m")]
    // Upstream keeps text it judges canonical as written.
    [InlineData("+1", "+1")]
    [InlineData("1.500", "1.500")]
    [InlineData("01", "01")]
    // Upstream's parser reads a lone sign, dot or suffix as zero.
    [InlineData("-", "0")]
    [InlineData(".", "0")]
    [InlineData("Ki", "0")]
    public void Parses_and_prints_as_upstream(string text, string printed)
    {
        Assert.True(Quantity.TryParse(text, out var q, out var error), error);
        Assert.Equal(printed, q.ToString());
    }

    [Theory]
    [InlineData("", Quantity.FormatError)]
    [InlineData("abc", Quantity.FormatError)]
    [InlineData("1x", Quantity.FormatError)]
    [InlineData("1.2.3", Quantity.FormatError)]
    [InlineData("1 Gi", Quantity.FormatError)]
    [InlineData("1K", Quantity.SuffixError)]
    [InlineData("1MM", Quantity.SuffixError)]
    [InlineData("1e", Quantity.SuffixError)]
    [InlineData("1Gb", Quantity.FormatError)]
    public void Refuses_what_upstream_refuses_with_its_message(string text, string error)
    {
        Assert.False(Quantity.TryParse(text, out _, out var actual));
        Assert.Equal(error, actual);
    }

    [Theory]
    [InlineData("1", "1000m", 0)]
    [InlineData("1Gi", "1G", 1)]
    [InlineData("500m", "0.5", 0)]
    [InlineData("1e3", "1k", 0)]
    [InlineData("-1", "0", -1)]
    [InlineData("1Ki", "1024", 0)]
    [InlineData("1e999999999", "1E", 1)]
    [InlineData("1e-999999999", "1n", 0)]
    public void Compares_exact_values(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(Quantity.Parse(a).CompareTo(Quantity.Parse(b))));
    }

    [Fact]
    public void Any_value_printed_parses_back_to_the_same_value()
    {
        var random = new Random(1234);
        string[] suffixes = ["", "m", "k", "M", "G", "Ki", "Mi", "Gi", "n", "u", "e3", "e-2"];
        for (var i = 0; i < 2000; i++)
        {
            var text = $"{random.Next(0, 100000)}.{random.Next(0, 1000):D3}{suffixes[random.Next(suffixes.Length)]}";
            var q = Quantity.Parse(text);

            var again = Quantity.Parse(q.ToString());

            Assert.True(q.CompareTo(again) == 0, $"{text} printed as {q} which reads back as {again}");
        }
    }

    [Theory]
    [InlineData("1", 1, 1000)]
    [InlineData("100m", 1, 100)]
    [InlineData("1.5", 2, 1500)]
    [InlineData("0.1m", 1, 1)]
    [InlineData("128Mi", 134217728, 134217728000)]
    [InlineData("1e3", 1000, 1000000)]
    [InlineData("-1.5", -1, -1500)]
    [InlineData("0", 0, 0)]
    [InlineData("1e999999999", long.MaxValue, long.MaxValue)]
    [InlineData("-1e999999999", long.MinValue, long.MinValue)]
    [InlineData("1e-999999999", 1, 1)]
    [InlineData("-1e-999999999", 0, 0)]
    [InlineData("9223372036854775807", long.MaxValue, long.MaxValue)]
    public void Value_and_MilliValue_round_up_as_upstream(string text, long value, long milli)
    {
        var q = Quantity.Parse(text);

        Assert.Equal((value, milli), (q.Value(), q.MilliValue()));
    }
}
