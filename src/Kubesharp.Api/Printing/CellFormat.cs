using System.Globalization;
using System.Text.Json;

namespace Kubesharp.Api.Printing;

/// <summary>The formatting helpers upstream's printers share: ages, labels, selectors, container lists.</summary>
internal static class CellFormat
{
    public const string None = "<none>";
    public const string Unset = "<unset>";
    public const string Unknown = "<unknown>";

    /// <summary>Upstream's <c>translateTimestampSince</c>: the age of a timestamp, <c>&lt;unknown&gt;</c> when there is none.</summary>
    public static string Since(DateTimeOffset? t, DateTimeOffset now) => t is { } v ? DurationFormat.HumanDuration(now - v) : Unknown;

    public static string Age(JsonElement obj, DateTimeOffset now) => Since(obj.Time("metadata", "creationTimestamp"), now);

    public static string Name(JsonElement obj) => obj.Str("metadata", "name");

    public static string Int(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Upstream's <c>labels.FormatLabels</c>: <c>k=v</c> pairs sorted by key, <c>&lt;none&gt;</c> when empty.</summary>
    public static string Labels(JsonElement obj, params ReadOnlySpan<string> path)
    {
        var pairs = obj.StringMap(path).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}");
        var s = string.Join(",", pairs);
        return s.Length == 0 ? None : s;
    }

    /// <summary>Upstream's <c>metav1.FormatLabelSelector</c>: <c>&lt;error&gt;</c> for an invalid selector, <c>&lt;none&gt;</c> for an empty one.</summary>
    public static string LabelSelector(JsonElement obj, params ReadOnlySpan<string> path) =>
        SelectorString(obj, path) switch
        {
            null => "<error>",
            "" => None,
            var s => s,
        };

    /// <summary>
    /// <c>metav1.LabelSelectorAsSelector(sel).String()</c>: requirements sorted by key, <c>k=v</c> for
    /// matchLabels, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c> for expressions, values
    /// sorted. Empty for a missing or empty selector; null when the selector is invalid.
    /// </summary>
    public static string? SelectorString(JsonElement obj, params ReadOnlySpan<string> path)
    {
        if (obj.Obj(path) is not { } selector)
        {
            return "";
        }

        var requirements = new List<(string Key, string Text)>();
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            requirements.Add((key, $"{key}={value}"));
        }

        foreach (var expr in selector.Items("matchExpressions"))
        {
            var key = expr.Str("key");
            var values = expr.Items("values").Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : "").Order(StringComparer.Ordinal).ToList();
            // Upstream's NewRequirement rejects these shapes; the printer then shows the selector as invalid.
            switch (expr.Str("operator"))
            {
                case "In" when values.Count > 0:
                    requirements.Add((key, $"{key} in ({string.Join(",", values)})"));
                    break;
                case "NotIn" when values.Count > 0:
                    requirements.Add((key, $"{key} notin ({string.Join(",", values)})"));
                    break;
                case "Exists" when values.Count == 0:
                    requirements.Add((key, key));
                    break;
                case "DoesNotExist" when values.Count == 0:
                    requirements.Add((key, "!" + key));
                    break;
                default:
                    return null;
            }
        }

        return string.Join(",", requirements.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    /// <summary>Upstream's <c>layoutContainerCells</c>: container names and images, each comma-joined in spec order.</summary>
    public static (string Names, string Images) Containers(JsonElement obj, params ReadOnlySpan<string> podSpecPath)
    {
        var containers = (obj.At(podSpecPath) ?? default).Items("containers");
        return (string.Join(",", containers.Select(c => c.Str("name"))), string.Join(",", containers.Select(c => c.Str("image"))));
    }

    /// <summary>An <c>IntOrString</c> as Go's <c>String()</c> prints it.</summary>
    public static string IntOrString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number when v.TryGetInt64(out var n) => Int(n),
        _ => "0",
    };

    /// <summary>
    /// A resource quantity as stored. Upstream prints <c>Quantity.String()</c>, the canonical form; the
    /// server stores quantities canonicalised, so the stored text is already that form. A missing
    /// quantity prints as <c>0</c>, as Go's zero Quantity does.
    /// </summary>
    public static string Quantity(JsonElement obj, params ReadOnlySpan<string> path) =>
        obj.At(path) switch
        {
            { ValueKind: JsonValueKind.String } v => v.GetString()!,
            { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
            _ => "0",
        };

    /// <summary>Upstream's <c>GetAccessModesAsString</c>: short names in a fixed order, duplicates folded.</summary>
    public static string AccessModes(JsonElement obj, params ReadOnlySpan<string> path)
    {
        var modes = obj.Items(path).Select(m => m.ValueKind == JsonValueKind.String ? m.GetString() : null).ToHashSet(StringComparer.Ordinal);
        var names = new List<string>(4);
        if (modes.Contains("ReadWriteOnce"))
        {
            names.Add("RWO");
        }

        if (modes.Contains("ReadOnlyMany"))
        {
            names.Add("ROX");
        }

        if (modes.Contains("ReadWriteMany"))
        {
            names.Add("RWX");
        }

        if (modes.Contains("ReadWriteOncePod"))
        {
            names.Add("RWOP");
        }

        return string.Join(",", names);
    }

    /// <summary>Upstream's <c>listWithMoreString</c> over the first three items: <c>a,b,c + 2 more...</c>, <c>&lt;unset&gt;</c> when empty.</summary>
    public static string FirstThree(IReadOnlyList<string> items)
    {
        const int Max = 3;
        var s = string.Join(",", items.Take(Max));
        if (items.Count > Max)
        {
            return $"{s} + {items.Count - Max} more...";
        }

        return s.Length == 0 ? Unset : s;
    }
}
