using System.Globalization;
using System.Text.RegularExpressions;

namespace Kubesharp.Api.Validation;

/// <summary>
/// The schedule parser upstream's CronJob validation uses (<c>github.com/robfig/cron/v3</c>'s
/// <c>ParseStandard</c>): five fields (minute, hour, day of month, month, day of week) of lists, ranges,
/// steps and names, or a descriptor (<c>@daily</c>, <c>@every 1h</c>), optionally after <c>TZ=</c> or
/// <c>CRON_TZ=</c>. Only checks; the error texts are the library's. Stateless and thread-safe.
/// </summary>
internal static partial class CronSchedule
{
    private static readonly (string Name, uint Min, uint Max, Dictionary<string, uint>? Names)[] Fields =
    [
        ("minute", 0, 59, null),
        ("hour", 0, 23, null),
        ("day of month", 1, 31, null),
        ("month", 1, 12, new(StringComparer.Ordinal) { ["jan"] = 1, ["feb"] = 2, ["mar"] = 3, ["apr"] = 4, ["may"] = 5, ["jun"] = 6, ["jul"] = 7, ["aug"] = 8, ["sep"] = 9, ["oct"] = 10, ["nov"] = 11, ["dec"] = 12 }),
        ("day of week", 0, 6, new(StringComparer.Ordinal) { ["sun"] = 0, ["mon"] = 1, ["tue"] = 2, ["wed"] = 3, ["thu"] = 4, ["fri"] = 5, ["sat"] = 6 }),
    ];

    /// <summary>The library's error for <paramref name="spec"/>, or null when it parses.</summary>
    public static string? Check(string spec)
    {
        if (spec.Length == 0)
        {
            return "empty spec string";
        }

        if (spec.StartsWith("TZ=", StringComparison.Ordinal) || spec.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = spec.IndexOf(' ', StringComparison.Ordinal);
            var eq = spec.IndexOf('=', StringComparison.Ordinal);
            var zone = space > eq ? spec[(eq + 1)..space] : spec[(eq + 1)..];
            if (TimeZones.Load(zone) is { } zoneError)
            {
                return $"provided bad location {zone}: {zoneError}";
            }

            spec = space > eq ? spec[space..].Trim() : "";
        }

        if (spec.StartsWith('@'))
        {
            return Descriptor(spec);
        }

        var fields = spec.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            return $"expected exactly 5 fields, found {fields.Length}: [{string.Join(' ', fields)}]";
        }

        for (var f = 0; f < fields.Length; f++)
        {
            foreach (var expr in fields[f].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (Range(expr, Fields[f].Min, Fields[f].Max, Fields[f].Names) is { } error)
                {
                    return error;
                }
            }
        }

        return null;
    }

    private static string? Descriptor(string spec)
    {
        if (spec is "@yearly" or "@annually" or "@monthly" or "@weekly" or "@daily" or "@midnight" or "@hourly")
        {
            return null;
        }

        const string Every = "@every ";
        if (spec.StartsWith(Every, StringComparison.Ordinal))
        {
            var duration = spec[Every.Length..];
            return GoDuration().IsMatch(duration) ? null : $"failed to parse duration {duration}: time: invalid duration {Selectors.GoText.Quote(duration)}";
        }

        return $"unrecognized descriptor: {spec}";
    }

    private static string? Range(string expr, uint min, uint max, Dictionary<string, uint>? names)
    {
        var rangeAndStep = expr.Split('/');
        var lowAndHigh = rangeAndStep[0].Split('-');
        var single = lowAndHigh.Length == 1;
        uint start, end;
        if (lowAndHigh[0] is "*" or "?")
        {
            start = min;
            end = max;
        }
        else
        {
            if (IntOrName(lowAndHigh[0], names, out start) is { } startError)
            {
                return startError;
            }

            switch (lowAndHigh.Length)
            {
                case 1:
                    end = start;
                    break;
                case 2:
                    if (IntOrName(lowAndHigh[1], names, out end) is { } endError)
                    {
                        return endError;
                    }

                    break;
                default:
                    return $"too many hyphens: {expr}";
            }
        }

        uint step;
        switch (rangeAndStep.Length)
        {
            case 1:
                step = 1;
                break;
            case 2:
                if (Int(rangeAndStep[1], out step) is { } stepError)
                {
                    return stepError;
                }

                if (single)
                {
                    end = max;
                }

                break;
            default:
                return $"too many slashes: {expr}";
        }

        if (start < min)
        {
            return $"beginning of range ({start}) below minimum ({min}): {expr}";
        }

        if (end > max)
        {
            return $"end of range ({end}) above maximum ({max}): {expr}";
        }

        if (start > end)
        {
            return $"beginning of range ({start}) beyond end of range ({end}): {expr}";
        }

        return step == 0 ? $"step of range should be a positive number: {expr}" : null;
    }

    private static string? IntOrName(string expr, Dictionary<string, uint>? names, out uint value)
    {
        if (names is not null && names.TryGetValue(expr.ToLowerInvariant(), out value))
        {
            return null;
        }

        return Int(expr, out value);
    }

    /// <summary>The library's <c>mustParseInt</c>, with Go's <c>strconv.Atoi</c> errors.</summary>
    private static string? Int(string expr, out uint value)
    {
        value = 0;
        if (!GoInt().IsMatch(expr))
        {
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {Selectors.GoText.Quote(expr)}: invalid syntax";
        }

        if (!long.TryParse(expr, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {Selectors.GoText.Quote(expr)}: value out of range";
        }

        if (number < 0)
        {
            return $"negative number ({number}) not allowed: {expr}";
        }

        value = number > uint.MaxValue ? uint.MaxValue : (uint)number;
        return null;
    }

    [GeneratedRegex("^[+-]?[0-9]+\\z")]
    private static partial Regex GoInt();

    [GeneratedRegex("^[-+]?(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+\\z|^[-+]?0\\z")]
    private static partial Regex GoDuration();
}

/// <summary>Go's <c>time.LoadLocation</c> over the system's time zone database.</summary>
internal static class TimeZones
{
    /// <summary>Null when <paramref name="name"/> is a known zone (or UTC, or empty as Go reads it), else Go's error text.</summary>
    public static string? Load(string name)
    {
        if (name is "" or "UTC")
        {
            return null;
        }

        if (name == "Local")
        {
            return null;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) && zone.HasIanaId ? null : $"unknown time zone {name}";
    }
}
