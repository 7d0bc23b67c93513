using System.Globalization;

namespace Kubesharp.Api.Printing;

/// <summary>Durations as upstream prints them in AGE-style cells.</summary>
public static class DurationFormat
{
    /// <summary>
    /// Upstream's <c>duration.HumanDuration</c>: two or three significant figures, e.g. <c>45s</c>,
    /// <c>5m30s</c>, <c>3h4m</c>, <c>2d3h</c>, <c>2y1d</c>. Durations down to two seconds in the
    /// past print as <c>0s</c> (clock skew between machines); anything further back is <c>&lt;invalid&gt;</c>.
    /// Pure and thread-safe.
    /// </summary>
    public static string HumanDuration(TimeSpan d)
    {
        // Every step truncates toward zero, as Go's integer conversions and divisions do.
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return Invariant($"{seconds}s");
        }

        var minutes = d.Ticks / TimeSpan.TicksPerMinute;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? Invariant($"{minutes}m") : Invariant($"{minutes}m{s}s");
        }

        if (minutes < 60 * 3)
        {
            return Invariant($"{minutes}m");
        }

        var hours = d.Ticks / TimeSpan.TicksPerHour;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? Invariant($"{hours}h") : Invariant($"{hours}h{m}m");
        }

        if (hours < 48)
        {
            return Invariant($"{hours}h");
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? Invariant($"{hours / 24}d") : Invariant($"{hours / 24}d{h}h");
        }

        if (hours < 24 * 365 * 2)
        {
            return Invariant($"{hours / 24}d");
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? Invariant($"{hours / 24 / 365}y") : Invariant($"{hours / 24 / 365}y{dy}d");
        }

        return Invariant($"{hours / 24 / 365}y");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
