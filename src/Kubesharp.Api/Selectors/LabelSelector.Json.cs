using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Selectors;

public sealed partial class LabelSelector
{
    /// <summary>
    /// <see cref="FromJson"/> for the client model: <c>metav1.LabelSelectorAsSelector</c>, null matching nothing and
    /// an empty selector everything.
    /// </summary>
    /// <exception cref="StatusException">BadRequest (400): the selector is invalid.</exception>
    public static LabelSelector FromModel(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return Nothing;
        }

        using var doc = JsonDocument.Parse(KubernetesJson.Serialize(selector));
        return FromJson(doc.RootElement);
    }

    /// <summary>
    /// The selector a <c>metav1.LabelSelector</c> means (<c>matchLabels</c> and <c>matchExpressions</c>
    /// with In, NotIn, Exists, DoesNotExist), as upstream's <c>LabelSelectorAsSelector</c> builds it for
    /// Deployments, ReplicaSets, Jobs and the like: a null or absent selector gives <see cref="Nothing"/>,
    /// one with neither labels nor expressions gives <see cref="Empty"/>.
    /// </summary>
    /// <remarks>
    /// This checks what the conversion checks, not all of the object validation that answers 422 with
    /// field paths under <c>spec.selector</c>; that belongs to each kind's validation. Duplicate
    /// <c>matchLabels</c> keys keep the last value, as Go's decoder does, and the labels are checked in
    /// key order.
    /// </remarks>
    /// <exception cref="StatusException">BadRequest (400) with upstream's message for a JSON shape that is not a LabelSelector, an unknown operator, or an invalid key, value or value count.</exception>
    public static LabelSelector FromJson(JsonElement labelSelector)
    {
        if (labelSelector.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return Nothing;
        }

        Expect(labelSelector, JsonValueKind.Object, "", "v1.LabelSelector");

        // Decode the whole shape first, then validate, in upstream's order: decoding errors, then the
        // matchLabels, then the expressions in order.
        var matchLabels = new List<KeyValuePair<string, string>>();
        if (labelSelector.TryGetProperty("matchLabels"u8, out var labelsElement) && labelsElement.ValueKind != JsonValueKind.Null)
        {
            Expect(labelsElement, JsonValueKind.Object, "matchLabels", "map[string]string");
            foreach (var property in labelsElement.EnumerateObject())
            {
                var value = ReadString(property.Value, "matchLabels");
                var existing = matchLabels.FindIndex(l => l.Key == property.Name);
                if (existing >= 0)
                {
                    matchLabels[existing] = new(property.Name, value);
                }
                else
                {
                    matchLabels.Add(new(property.Name, value));
                }
            }
        }

        var expressions = new List<(string Key, string Operator, List<string> Values)>();
        if (labelSelector.TryGetProperty("matchExpressions"u8, out var expressionsElement) && expressionsElement.ValueKind != JsonValueKind.Null)
        {
            Expect(expressionsElement, JsonValueKind.Array, "matchExpressions", "[]v1.LabelSelectorRequirement");
            foreach (var expression in expressionsElement.EnumerateArray())
            {
                expressions.Add(ReadExpression(expression));
            }
        }

        if (matchLabels.Count + expressions.Count == 0)
        {
            return Empty;
        }

        var requirements = new List<LabelRequirement>(matchLabels.Count + expressions.Count);
        // Go visits a map in random order, so which invalid label upstream reports first is a matter of
        // chance; sorting makes ours the same every time.
        foreach (var (key, value) in matchLabels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            requirements.Add(Create(key, LabelSelectorOperator.Equals, [value]));
        }

        foreach (var (key, op, values) in expressions)
        {
            LabelSelectorOperator parsed = op switch
            {
                "In" => LabelSelectorOperator.In,
                "NotIn" => LabelSelectorOperator.NotIn,
                "Exists" => LabelSelectorOperator.Exists,
                "DoesNotExist" => LabelSelectorOperator.DoesNotExist,
                _ => throw StatusException.BadRequest($"{GoText.Quote(op)} is not a valid label selector operator"),
            };
            requirements.Add(Create(key, parsed, values));
        }

        return new LabelSelector(requirements, nothing: false);
    }

    private static (string Key, string Operator, List<string> Values) ReadExpression(JsonElement expression)
    {
        // A null entry decodes to the zero requirement, which then fails on its empty operator.
        if (expression.ValueKind == JsonValueKind.Null)
        {
            return ("", "", []);
        }

        Expect(expression, JsonValueKind.Object, "matchExpressions", "v1.LabelSelectorRequirement");
        var key = expression.TryGetProperty("key"u8, out var k) ? ReadString(k, "matchExpressions.key") : "";
        var op = expression.TryGetProperty("operator"u8, out var o) ? ReadString(o, "matchExpressions.operator") : "";
        var values = new List<string>();
        if (expression.TryGetProperty("values"u8, out var v) && v.ValueKind != JsonValueKind.Null)
        {
            Expect(v, JsonValueKind.Array, "matchExpressions.values", "[]string");
            foreach (var item in v.EnumerateArray())
            {
                values.Add(ReadString(item, "matchExpressions.values"));
            }
        }

        return (key, op, values);
    }

    // Go's decoder leaves a string empty for a JSON null.
    private static string ReadString(JsonElement element, string field) =>
        element.ValueKind == JsonValueKind.Null ? "" : Expect(element, JsonValueKind.String, field, "string").GetString()!;

    private static JsonElement Expect(JsonElement element, JsonValueKind kind, string field, string goType)
    {
        if (element.ValueKind == kind)
        {
            return element;
        }

        var found = element.ValueKind switch
        {
            JsonValueKind.Object => "object",
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        };

        // The wording of Go's json.UnmarshalTypeError.
        throw StatusException.BadRequest(field.Length == 0
            ? $"json: cannot unmarshal {found} into Go value of type {goType}"
            : $"json: cannot unmarshal {found} into Go struct field LabelSelector.{field} of type {goType}");
    }
}
