using Cronos;
using Kubesharp.Api;

namespace Kubesharp.Controllers.CronJob;

/// <summary>
/// A parsed CronJob schedule, read as upstream's <c>cron.ParseStandard</c> (robfig/cron v3) reads it: five fields (minute,
/// hour, day of month, month, day of week; names and <c>?</c> allowed) or a descriptor (<c>@yearly</c>, <c>@annually</c>,
/// <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c>, <c>@midnight</c>, <c>@hourly</c>, <c>@every &lt;duration&gt;</c>), after
/// an optional <c>TZ=&lt;zone&gt;</c> or <c>CRON_TZ=&lt;zone&gt;</c>. Without a zone the schedule runs in the controller's
/// default zone (upstream: the process's local zone). The fields are evaluated by the Cronos package in that zone; <c>@every</c>
/// is a constant delay, as robfig's. Immutable and thread-safe.
/// </summary>
internal sealed class CronSchedule
{
    private readonly CronExpression? _expression;
    private readonly TimeSpan _every;

    private CronSchedule(CronExpression? expression, TimeSpan every, TimeZoneInfo zone)
    {
        _expression = expression;
        _every = every;
        Zone = zone;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>Parses <paramref name="spec"/>; on failure returns null and the reason in <paramref name="error"/>.</summary>
    public static CronSchedule? TryParse(string spec, TimeZoneInfo defaultZone, out string error)
    {
        error = "";
        var zone = defaultZone;
        spec = spec.Trim();
        if (spec.Length == 0)
        {
            error = "empty spec string";
            return null;
        }

        if (spec.StartsWith("TZ=", StringComparison.Ordinal) || spec.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var eq = spec.IndexOf('=', StringComparison.Ordinal);
            var space = spec.IndexOf(' ', StringComparison.Ordinal);
            var name = space > eq ? spec[(eq + 1)..space] : spec[(eq + 1)..];
            if (LoadZone(name) is not { } loaded)
            {
                error = $"provided bad location {name}: unknown time zone {name}";
                return null;
            }

            zone = loaded;
            spec = space > eq ? spec[space..].Trim() : "";
        }

        const string Every = "@every ";
        if (spec.StartsWith(Every, StringComparison.Ordinal))
        {
            if (!GoDuration.TryParse(spec[Every.Length..].Trim(), out var delay))
            {
                error = $"failed to parse duration {spec[Every.Length..]}";
                return null;
            }

            // robfig: at least one second, in whole seconds.
            delay = delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(Math.Floor(delay.TotalSeconds));
            return new CronSchedule(null, delay, zone);
        }

        var text = spec switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ when spec.StartsWith('@') => null,
            _ => spec,
        };
        if (text is null)
        {
            error = "unrecognized descriptor: " + spec;
            return null;
        }

        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"expected exactly 5 fields, found {fields.Length}: [{string.Join(' ', fields)}]";
            return null;
        }

        try
        {
            return new CronSchedule(CronExpression.Parse(string.Join(' ', fields), CronFormat.Standard), TimeSpan.Zero, zone);
        }
        catch (CronFormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>
    /// Go's <c>time.LoadLocation</c> as the controller uses it: "" and "UTC" are UTC, "Local" the local zone, otherwise an IANA
    /// name; null when unknown.
    /// </summary>
    public static TimeZoneInfo? LoadZone(string? name) => name switch
    {
        null or "" or "UTC" => TimeZoneInfo.Utc,
        "Local" => TimeZoneInfo.Local,
        _ => TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) && zone.HasIanaId ? zone : null,
    };

    /// <summary>The first activation strictly after <paramref name="after"/> (whole seconds); null when the schedule never fires (31 February).</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        if (_expression is null)
        {
            // robfig's ConstantDelaySchedule: the delay from the time cut to the second.
            return new DateTimeOffset(after.UtcTicks - (after.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) + _every;
        }

        return _expression.GetNextOccurrence(after.ToUniversalTime(), Zone);
    }
}
