using System.Text;

namespace Kubesharp.Api.Canonical;

/// <summary>An instant in UTC as Go's <c>time.Time</c> holds it: any proleptic Gregorian year, nanoseconds.</summary>
internal readonly record struct GoInstant(long Year, int Month, int Day, int Hour, int Minute, int Second, int Nanosecond)
{
    /// <summary>Go's zero time (<c>Time.IsZero</c>): upstream's <c>metav1.Time</c> and <c>MicroTime</c> marshal it as <c>null</c>.</summary>
    public bool IsZero => Year == 1 && Month == 1 && Day == 1 && Hour == 0 && Minute == 0 && Second == 0 && Nanosecond == 0;
}

/// <summary>
/// Go's <c>time.Parse</c> for the two layouts Kubernetes decodes times with (<c>time.RFC3339</c> for
/// <c>metav1.Time</c>, <c>metav1.RFC3339Micro</c> for <c>metav1.MicroTime</c>), ported step for step so that what
/// it accepts and the <c>*time.ParseError</c> text it fails with are Go's, and the <c>AppendFormat</c> of those
/// layouts for a UTC instant. Stateless and thread-safe.
/// </summary>
internal static class GoTime
{
    /// <summary><c>time.RFC3339</c>.</summary>
    public const string Rfc3339 = "2006-01-02T15:04:05Z07:00";

    /// <summary><c>metav1.RFC3339Micro</c>.</summary>
    public const string Rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00";

    private enum Std
    {
        LongYear,
        ZeroMonth,
        ZeroDay,
        Hour,
        ZeroMinute,
        ZeroSecond,
        FracSecond6,
        ColonTz,
    }

    // nextStdChunk's cut of the two layouts: (literal prefix, std, the std's own text).
    private static readonly (string Prefix, Std Std, string Text)[] Rfc3339Chunks =
    [
        ("", Std.LongYear, "2006"), ("-", Std.ZeroMonth, "01"), ("-", Std.ZeroDay, "02"), ("T", Std.Hour, "15"),
        (":", Std.ZeroMinute, "04"), (":", Std.ZeroSecond, "05"), ("", Std.ColonTz, "Z07:00"),
    ];

    private static readonly (string Prefix, Std Std, string Text)[] MicroChunks =
    [
        ("", Std.LongYear, "2006"), ("-", Std.ZeroMonth, "01"), ("-", Std.ZeroDay, "02"), ("T", Std.Hour, "15"),
        (":", Std.ZeroMinute, "04"), (":", Std.ZeroSecond, "05"), ("", Std.FracSecond6, ".000000"), ("", Std.ColonTz, "Z07:00"),
    ];

    /// <summary>
    /// <c>time.Parse(layout, value)</c> with <paramref name="micro"/> choosing <see cref="Rfc3339Micro"/> over
    /// <see cref="Rfc3339"/>: the instant in UTC, or null and Go's error text in <paramref name="error"/>.
    /// </summary>
    public static GoInstant? Parse(string value, bool micro, out string? error)
    {
        var chunks = micro ? MicroChunks : Rfc3339Chunks;
        var layout = micro ? Rfc3339Micro : Rfc3339;
        var rest = value.AsSpan();
        long year = 0;
        int month = -1, day = -1, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0;
        for (var c = 0; c < chunks.Length; c++)
        {
            var (prefix, std, text) = chunks[c];
            if (prefix.Length > 0)
            {
                if (rest.Length == 0 || rest[0] != prefix[0])
                {
                    error = Error(value, layout, prefix, rest);
                    return null;
                }

                rest = rest[1..];
            }

            var hold = rest;
            var bad = false;
            string? range = null;
            switch (std)
            {
                case Std.LongYear:
                    if (rest.Length < 4 || !IsDigit(rest, 0))
                    {
                        bad = true;
                        break;
                    }

                    bad = !Atoi(rest[..4], out var y);
                    year = y;
                    rest = rest[4..];
                    break;
                case Std.ZeroMonth:
                    bad = !GetNum(ref rest, fixedWidth: true, out month);
                    range = !bad && (month <= 0 || month > 12) ? "month" : null;
                    break;
                case Std.ZeroDay:
                    // Any one- or two-digit day here; the day of the month is checked after the loop, as Go does.
                    bad = !GetNum(ref rest, fixedWidth: true, out day);
                    break;
                case Std.Hour:
                    bad = !GetNum(ref rest, fixedWidth: false, out hour);
                    range = hour is < 0 or >= 24 ? "hour" : null;
                    break;
                case Std.ZeroMinute:
                    bad = !GetNum(ref rest, fixedWidth: true, out minute);
                    range = minute is < 0 or >= 60 ? "minute" : null;
                    break;
                case Std.ZeroSecond:
                    bad = !GetNum(ref rest, fixedWidth: true, out second);
                    if (bad)
                    {
                        break;
                    }

                    if (second is < 0 or >= 60)
                    {
                        range = "second";
                        break;
                    }

                    // Go takes a fraction the layout does not have, unless the layout's next element is one.
                    if (!micro && rest.Length >= 2 && rest[0] is '.' or ',' && IsDigit(rest, 1))
                    {
                        var n = 2;
                        while (n < rest.Length && IsDigit(rest, n))
                        {
                            n++;
                        }

                        bad = !Nanoseconds(rest, n, out nanos, out range);
                        rest = rest[n..];
                    }

                    break;
                case Std.FracSecond6:
                    // The exact number of digits the layout has.
                    if (rest.Length < 7)
                    {
                        bad = true;
                        break;
                    }

                    bad = !Nanoseconds(rest, 7, out nanos, out range);
                    rest = rest[7..];
                    break;
                case Std.ColonTz:
                    if (rest.Length >= 1 && rest[0] == 'Z')
                    {
                        rest = rest[1..];
                        break;
                    }

                    if (rest.Length < 6 || rest[3] != ':')
                    {
                        bad = true;
                        break;
                    }

                    var sign = rest[0];
                    var hh = rest.Slice(1, 2);
                    var mm = rest.Slice(4, 2);
                    rest = rest[6..];
                    // As Go: the minutes are read only when the hours were, and a failed read leaves 0.
                    var offsetMinutes = 0;
                    bad = !GetNum(ref hh, fixedWidth: true, out var offsetHours) || !GetNum(ref mm, fixedWidth: true, out offsetMinutes);
                    // Go compares with > here: offsets of 24 hours or 60 minutes are written by some.
                    range = offsetMinutes > 60 ? "time zone offset minute" : offsetHours > 24 ? "time zone offset hour" : null;
                    offset = ((offsetHours * 60) + offsetMinutes) * 60;
                    switch (sign)
                    {
                        case '+':
                            break;
                        case '-':
                            offset = -offset;
                            break;
                        default:
                            bad = true;
                            break;
                    }

                    break;
            }

            if (range is not null)
            {
                error = $"parsing time {Quote(value)}: {range} out of range";
                return null;
            }

            if (bad)
            {
                error = Error(value, layout, text, hold);
                return null;
            }
        }

        if (rest.Length > 0)
        {
            error = $"parsing time {Quote(value)}: extra text: {Quote(rest.ToString())}";
            return null;
        }

        if (day < 1 || day > DaysIn(month, year))
        {
            error = $"parsing time {Quote(value)}: day out of range";
            return null;
        }

        error = null;
        return ToUtc(year, month, day, hour, minute, second, nanos, offset);
    }

    /// <summary><c>t.UTC().AppendFormat(layout)</c>: whole seconds for <see cref="Rfc3339"/>, six digits for <see cref="Rfc3339Micro"/>, fractions truncated.</summary>
    public static string Format(GoInstant t, bool micro)
    {
        var sb = new StringBuilder(32);
        if (t.Year < 0)
        {
            sb.Append('-');
        }

        var year = Math.Abs(t.Year);
        sb.Append(year.ToString(year < 10000 ? "D4" : "D", System.Globalization.CultureInfo.InvariantCulture));
        Two(sb.Append('-'), t.Month);
        Two(sb.Append('-'), t.Day);
        Two(sb.Append('T'), t.Hour);
        Two(sb.Append(':'), t.Minute);
        Two(sb.Append(':'), t.Second);
        if (micro)
        {
            sb.Append('.').Append((t.Nanosecond / 1000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.Append('Z').ToString();

        static void Two(StringBuilder sb, int v) => sb.Append((char)('0' + (v / 10))).Append((char)('0' + (v % 10)));
    }

    /// <summary>Go's <c>daysIn</c>: the days of a month, February by the proleptic Gregorian leap rule.</summary>
    public static int DaysIn(int month, long year) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    /// <summary><c>*time.ParseError</c> without a message.</summary>
    private static string Error(string value, string layout, string layoutElem, ReadOnlySpan<char> valueElem) =>
        $"parsing time {Quote(value)} as {Quote(layout)}: cannot parse {Quote(valueElem.ToString())} as {Quote(layoutElem)}";

    private static GoInstant ToUtc(long year, int month, int day, int hour, int minute, int second, int nanos, int offset)
    {
        var seconds = (DaysFromCivil(year, month, day) * 86400L) + (hour * 3600L) + (minute * 60L) + second - offset;
        var days = Math.DivRem(seconds, 86400L, out var inDay);
        if (inDay < 0)
        {
            inDay += 86400;
            days--;
        }

        var (y, m, d) = CivilFromDays(days);
        return new GoInstant(y, m, d, (int)(inDay / 3600), (int)(inDay / 60 % 60), (int)(inDay % 60), nanos);
    }

    // Howard Hinnant's days_from_civil and civil_from_days: day 0 is 1970-01-01, any year.
    private static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var doy = ((153 * (m > 2 ? m - 3 : m + 9)) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097) + doe - 719468;
    }

    private static (long Year, int Month, int Day) CivilFromDays(long z)
    {
        z += 719468;
        var era = (z >= 0 ? z : z - 146096) / 146097;
        var doe = z - (era * 146097);
        var yoe = (doe - (doe / 1460) + (doe / 36524) - (doe / 146096)) / 365;
        var y = yoe + (era * 400);
        var doy = doe - ((365 * yoe) + (yoe / 4) - (yoe / 100));
        var mp = ((5 * doy) + 2) / 153;
        var d = (int)(doy - (((153 * mp) + 2) / 5) + 1);
        var m = (int)(mp < 10 ? mp + 3 : mp - 9);
        return (m <= 2 ? y + 1 : y, m, d);
    }

    private static bool IsDigit(ReadOnlySpan<char> s, int i) => i < s.Length && char.IsAsciiDigit(s[i]);

    /// <summary>Go's <c>getnum</c>: one or two digits (exactly two when <paramref name="fixedWidth"/>).</summary>
    private static bool GetNum(ref ReadOnlySpan<char> s, bool fixedWidth, out int n)
    {
        n = 0;
        if (!IsDigit(s, 0))
        {
            return false;
        }

        if (!IsDigit(s, 1))
        {
            if (fixedWidth)
            {
                return false;
            }

            n = s[0] - '0';
            s = s[1..];
            return true;
        }

        n = ((s[0] - '0') * 10) + (s[1] - '0');
        s = s[2..];
        return true;
    }

    /// <summary>Go's <c>atoi</c>: an optional sign, then digits only (none is 0).</summary>
    private static bool Atoi(ReadOnlySpan<char> s, out long n)
    {
        n = 0;
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        // Go's leadingInt takes no digits as 0.
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            n = (n * 10) + (c - '0');
        }

        n = negative ? -n : n;
        return true;
    }

    /// <summary>Go's <c>parseNanoseconds</c>: a comma or period and the digits after it, up to nine of them counted.</summary>
    private static bool Nanoseconds(ReadOnlySpan<char> value, int length, out int nanos, out string? range)
    {
        nanos = 0;
        range = null;
        if (value[0] is not ('.' or ','))
        {
            return false;
        }

        length = Math.Min(length, 10);
        if (!Atoi(value[1..length], out var n))
        {
            return false;
        }

        if (n < 0)
        {
            range = "fractional second";
            return true;
        }

        for (var i = length; i < 10; i++)
        {
            n *= 10;
        }

        nanos = (int)n;
        return true;
    }

    /// <summary>The <c>quote</c> of Go's time package: <c>\"</c> and <c>\\</c>, and every byte of a control or non-ASCII character as <c>\xNN</c>.</summary>
    internal static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in s.EnumerateRunes())
        {
            if (rune.Value is < ' ' or >= 0x80)
            {
                var count = rune.EncodeToUtf8(bytes);
                foreach (var b in bytes[..count])
                {
                    sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                if (rune.Value is '"' or '\\')
                {
                    sb.Append('\\');
                }

                sb.Append((char)rune.Value);
            }
        }

        return sb.Append('"').ToString();
    }
}
