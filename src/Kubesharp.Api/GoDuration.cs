using System.Globalization;

namespace Kubesharp.Api;

/// <summary>
/// Go's durations, as <c>metav1.Duration</c>, component flags and configuration files write them: <see cref="Format"/>
/// is <c>time.Duration.String()</c> (<c>1h2m3.5s</c>, <c>1.5ms</c>, <c>0s</c>), <see cref="TryParse"/> is <c>time.ParseDuration</c>.
/// </summary>
public static class GoDuration
{
    /// <summary>Formats a duration given in nanoseconds exactly as Go does.</summary>
    public static string Format(long nanoseconds)
    {
        // Go's algorithm: the digits are written from the end of a buffer.
        Span<char> buffer = stackalloc char[32];
        var w = buffer.Length;
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)-(nanoseconds + 1) + 1 : (ulong)nanoseconds;
        if (u < 1_000_000_000)
        {
            if (u == 0)
            {
                return "0s";
            }

            int precision;
            buffer[--w] = 's';
            if (u < 1_000)
            {
                precision = 0;
                buffer[--w] = 'n';
            }
            else if (u < 1_000_000)
            {
                precision = 3;
                buffer[--w] = 'µ';
            }
            else
            {
                precision = 6;
                buffer[--w] = 'm';
            }

            u = Fraction(buffer, ref w, u, precision);
            Integer(buffer, ref w, u);
        }
        else
        {
            buffer[--w] = 's';
            u = Fraction(buffer, ref w, u, 9);
            Integer(buffer, ref w, u % 60);
            u /= 60;
            if (u > 0)
            {
                buffer[--w] = 'm';
                Integer(buffer, ref w, u % 60);
                u /= 60;
                if (u > 0)
                {
                    buffer[--w] = 'h';
                    Integer(buffer, ref w, u);
                }
            }
        }

        if (negative)
        {
            buffer[--w] = '-';
        }

        return new string(buffer[w..]);
    }

    // The fraction of v / 10^precision without trailing zeros, and without the point when it is zero; returns v / 10^precision.
    private static ulong Fraction(Span<char> buffer, ref int w, ulong v, int precision)
    {
        var print = false;
        for (var i = 0; i < precision; i++)
        {
            var digit = v % 10;
            print = print || digit != 0;
            if (print)
            {
                buffer[--w] = (char)('0' + digit);
            }

            v /= 10;
        }

        if (print)
        {
            buffer[--w] = '.';
        }

        return v;
    }

    private static void Integer(Span<char> buffer, ref int w, ulong v)
    {
        if (v == 0)
        {
            buffer[--w] = '0';
            return;
        }

        while (v > 0)
        {
            buffer[--w] = (char)('0' + (v % 10));
            v /= 10;
        }
    }

    /// <summary>Go's time.ParseDuration (metav1.Duration's format): optionally signed, units h, m, s, ms, us, µs, ns.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var rest = text.AsSpan();
        var negative = rest.StartsWith("-");
        if (negative || rest.StartsWith("+"))
        {
            rest = rest[1..];
        }

        if (rest.SequenceEqual("0"))
        {
            return true;
        }

        if (rest.IsEmpty)
        {
            return false;
        }

        var ticks = 0.0;
        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            rest = rest[digits..];
            var unit = 0;
            while (unit < rest.Length && !char.IsAsciiDigit(rest[unit]) && rest[unit] != '.')
            {
                unit++;
            }

            double? scale = rest[..unit] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ns" => TimeSpan.TicksPerMicrosecond / 1000.0,
                _ => null,
            };
            if (scale is null)
            {
                return false;
            }

            ticks += value * scale.Value;
            rest = rest[unit..];
        }

        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }
}
