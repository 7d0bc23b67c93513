using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Patch;

/// <summary>
/// Go's <c>fmt</c> rendering of decoded JSON, for error messages that upstream builds with <c>%v</c> and
/// <c>reflect.TypeOf</c> and that clients show verbatim ("map: map[image:nginx] does not contain declared merge
/// key: name").
/// </summary>
internal static class GoFormat
{
    /// <summary><c>fmt.Sprintf("%v", value)</c>: maps with sorted keys, lists space-separated, nil as &lt;nil&gt;.</summary>
    internal static string Value(JsonNode? node)
    {
        var text = new StringBuilder();
        Append(text, node);
        return text.ToString();
    }

    /// <summary><c>%v</c> of a list.</summary>
    internal static string List(IReadOnlyList<JsonNode?> items)
    {
        var text = new StringBuilder();
        AppendList(text, items);
        return text.ToString();
    }

    /// <summary><c>fmt.Sprint</c> of several lists, as upstream prints the lists it compared.</summary>
    internal static string Lists(params IReadOnlyList<JsonNode?>[] lists)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < lists.Length; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            AppendList(text, lists[i]);
        }

        return text.Append(']').ToString();
    }

    /// <summary><c>reflect.TypeOf(value)</c> printed with <c>%s</c>.</summary>
    internal static string TypeName(JsonNode? node) => PatchJson.Kind(node) switch
    {
        GoKind.Object => "map[string]interface {}",
        GoKind.Array => "[]interface {}",
        GoKind.String => "string",
        GoKind.Bool => "bool",
        GoKind.Int => "int64",
        GoKind.Float => "float64",
        _ => "%!s(<nil>)",
    };

    /// <summary><c>%s</c> of a value that should have been a string: Go prints a type-tagged fallback.</summary>
    internal static string AsString(JsonNode? node) => PatchJson.Kind(node) switch
    {
        GoKind.String => node!.GetValue<string>(),
        GoKind.Null => "%!s(<nil>)",
        GoKind.Object or GoKind.Array => Value(node),
        _ => $"%!s({TypeName(node)}={Value(node)})",
    };

    private static void AppendList(StringBuilder text, IEnumerable<JsonNode?> items)
    {
        text.Append('[');
        var first = true;
        foreach (var item in items)
        {
            if (!first)
            {
                text.Append(' ');
            }

            first = false;
            Append(text, item);
        }

        text.Append(']');
    }

    private static void Append(StringBuilder text, JsonNode? node)
    {
        switch (PatchJson.Kind(node))
        {
            case GoKind.Null:
                text.Append("<nil>");
                break;
            case GoKind.Object:
                text.Append("map[");
                var first = true;
                foreach (var (key, value) in node!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        text.Append(' ');
                    }

                    first = false;
                    text.Append(key).Append(':');
                    Append(text, value);
                }

                text.Append(']');
                break;
            case GoKind.Array:
                AppendList(text, node!.AsArray());
                break;
            case GoKind.String:
                text.Append(node!.GetValue<string>());
                break;
            case GoKind.Bool:
            case GoKind.Int:
                text.Append(node!.ToJsonString());
                break;
            case GoKind.Float:
                text.Append(Float(double.Parse(node!.ToJsonString(), CultureInfo.InvariantCulture)));
                break;
        }
    }

    // strconv.FormatFloat(f, 'g', -1, 64), which %v uses: the shortest digits that round-trip, in exponent form
    // when the exponent is below -4 or at least max(6, digits) for whole numbers written without exponent.
    internal static string Float(double value)
    {
        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }

        var scientific = value.ToString("E16", CultureInfo.InvariantCulture);
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = value < 0;
        var exponent = int.Parse(scientific[(scientific.IndexOf('E', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
        var digits = new string(shortest.TakeWhile(c => c is not ('E' or 'e')).Where(char.IsAsciiDigit).ToArray()).Trim('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var pointPosition = exponent + 1;
        var precision = 6;
        if (precision > digits.Length && digits.Length >= pointPosition)
        {
            precision = digits.Length;
        }

        var sign = negative ? "-" : "";
        if (exponent < -4 || exponent >= precision)
        {
            var mantissa = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
            var exponentSign = exponent < 0 ? "-" : "+";
            var exponentDigits = Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
            return $"{sign}{mantissa}e{exponentSign}{exponentDigits}";
        }

        if (pointPosition <= 0)
        {
            return $"{sign}0.{new string('0', -pointPosition)}{digits}";
        }

        if (pointPosition >= digits.Length)
        {
            return sign + digits + new string('0', pointPosition - digits.Length);
        }

        return $"{sign}{digits[..pointPosition]}.{digits[pointPosition..]}";
    }
}
