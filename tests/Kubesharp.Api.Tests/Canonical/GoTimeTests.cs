using System.Globalization;
using Kubesharp.Api.Canonical;

namespace Kubesharp.Api.Tests.Canonical;

public sealed class GoTimeTests
{
    [Fact]
    public void Random_RFC3339_times_are_read_and_written_as_dotnet_computes_them()
    {
        var random = new Random(20261128);
        for (var n = 0; n < 5000; n++)
        {
            var year = random.Next(2, 9999);
            var month = random.Next(1, 13);
            var day = random.Next(1, DateTime.DaysInMonth(year, month) + 1);
            var (hour, minute, second) = (random.Next(24), random.Next(60), random.Next(60));
            var fraction = string.Concat(Enumerable.Range(0, random.Next(0, 11)).Select(_ => (char)('0' + random.Next(10))));
            var offset = random.Next(3) == 0 ? TimeSpan.Zero : TimeSpan.FromMinutes(random.Next(-(23 * 60) - 59, (23 * 60) + 60));
            var zone = random.Next(3) == 0 && offset == TimeSpan.Zero
                ? "Z"
                : (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hh\\:mm", CultureInfo.InvariantCulture);
            var text = $"{year:D4}-{month:D2}-{day:D2}T{hour:D2}:{minute:D2}:{second:D2}{(fraction.Length > 0 ? "." + fraction : "")}{zone}";
            var utc = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc) - offset;

            var parsed = GoTime.Parse(text, micro: false, out var error);

            Assert.True(parsed is not null, $"{text}: {error}");
            Assert.Equal(utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), GoTime.Format(parsed.Value, micro: false));
            Assert.Equal(utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + (fraction + "000000")[..6] + "Z", GoTime.Format(parsed.Value, micro: true));
        }
    }

    [Theory]
    [InlineData("2026-11-28T01:02:03.562161Z", null)]
    [InlineData("2026-11-28T01:02:03.562161+01:00", null)]
    [InlineData("2026-11-28T01:02:03.5621610Z", "parsing time \"2026-11-28T01:02:03.5621610Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"0Z\" as \"Z07:00\"")]
    [InlineData("2026-11-28T01:02:03.562Z", "parsing time \"2026-11-28T01:02:03.562Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \".562Z\" as \".000000\"")]
    [InlineData("2026-11-28T01:02:03Z", "parsing time \"2026-11-28T01:02:03Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" as \".000000\"")]
    public void Upstreams_MicroTime_layout_takes_exactly_six_digits(string text, string? expected)
    {
        // Why ADR 3 exists: Go clients decode a MicroTime with this layout and refuse the C# client's seven digits.
        var parsed = GoTime.Parse(text, micro: true, out var error);

        Assert.Equal(expected, error);
        Assert.Equal(expected is null, parsed is not null);
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z", true)]
    [InlineData("0001-01-01T00:00:00.000000001Z", false)]
    [InlineData("0001-01-01T02:00:00+02:00", true)]
    [InlineData("1970-01-01T00:00:00Z", false)]
    public void The_zero_time_is_Gos_zero_instant_whatever_its_offset(string text, bool zero)
    {
        Assert.Equal(zero, GoTime.Parse(text, micro: false, out _)!.Value.IsZero);
    }

    [Theory]
    [InlineData("9999-12-31T23:00:00-02:00", "10000-01-01T01:00:00Z")]
    [InlineData("0000-02-29T00:00:00Z", "0000-02-29T00:00:00Z")]
    [InlineData("2024-02-29T12:00:00+12:30", "2024-02-28T23:30:00Z")]
    [InlineData("2026-03-01T00:00:00+24:00", "2026-02-28T00:00:00Z")]
    public void Years_outside_dotnets_range_and_leap_days_are_written_as_Go_writes_them(string text, string expected)
    {
        Assert.Equal(expected, GoTime.Format(GoTime.Parse(text, micro: false, out _)!.Value, micro: false));
    }
}
