using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Schema.Fields;

/// <summary>The <c>fieldValidation</c> directive of create, update and patch requests.</summary>
public enum FieldValidationDirective
{
    /// <summary>Unknown fields are dropped silently; duplicates keep the last value.</summary>
    Ignore,

    /// <summary>As Ignore, and each problem becomes a <c>Warning</c> response header. The default since v1.27.</summary>
    Warn,

    /// <summary>Any unknown or duplicate field fails the request.</summary>
    Strict,
}

/// <summary>
/// Server-side field validation as upstream's handlers apply it (<c>apiserver/pkg/endpoints/handlers</c>):
/// the directive from the query, the texts of its errors and warnings, and the object the typed decoder
/// would have produced (last duplicate wins, unknown fields dropped). Stateless and thread-safe.
/// </summary>
public static class FieldValidation
{
    /// <summary>
    /// The directive named by the <c>fieldValidation</c> query parameter; absent or empty is Warn. Another value
    /// is upstream's 422 on the request options (<paramref name="optionsKind"/>: CreateOptions, UpdateOptions,
    /// PatchOptions).
    /// </summary>
    public static FieldValidationDirective Parse(string? value, string optionsKind) => value switch
    {
        null or "" or "Warn" => FieldValidationDirective.Warn,
        "Ignore" => FieldValidationDirective.Ignore,
        "Strict" => FieldValidationDirective.Strict,
        _ => throw StatusException.Invalid("meta.k8s.io", optionsKind, "",
            [new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{value}\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", "fieldValidation")]),
    };

    /// <summary>
    /// The strict decoding errors, one per problem, as upstream lists them: the YAML decoder's duplicate keys
    /// first (one error of several lines), then the unknown and duplicate fields in document order.
    /// </summary>
    public static IReadOnlyList<string> Errors(IReadOnlyList<string> yamlDuplicates, IReadOnlyList<FieldProblem> problems)
    {
        var errors = new List<string>(problems.Count + 1);
        if (yamlDuplicates.Count > 0)
        {
            errors.Add("yaml: unmarshal errors:\n  " + string.Join("\n  ", yamlDuplicates));
        }

        errors.AddRange(problems.Select(p => p.Message));
        return errors;
    }

    /// <summary>The warnings of the Warn directive: each YAML duplicate key, then each problem.</summary>
    public static IReadOnlyList<string> Warnings(IReadOnlyList<string> yamlDuplicates, IReadOnlyList<FieldProblem> problems) =>
        [.. yamlDuplicates, .. problems.Select(p => p.Message)];

    /// <summary><c>runtime.StrictDecodingError</c>'s text.</summary>
    public static string StrictDecodingError(IReadOnlyList<string> errors) => "strict decoding error: " + string.Join(", ", errors);

    /// <summary>
    /// The 400 of a create or update that failed strict decoding, as upstream's decode-error transform words it:
    /// <c>Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"</c>.
    /// </summary>
    public static StatusException BodyError(string kind, string version, IReadOnlyList<string> errors) =>
        StatusException.BadRequest($"{kind} in version \"{version}\" cannot be handled as a {kind}: {StrictDecodingError(errors)}");

    /// <summary>
    /// The 422 of a patch whose result failed strict decoding: upstream reports it as an invalid value of the
    /// field <c>patch</c>, the value being the patched object (JSON and merge patches) or the patch as Go prints
    /// a map (strategic merge patches).
    /// </summary>
    public static StatusException PatchError(string value, IReadOnlyList<string> errors) =>
        StatusException.Invalid("", "", "", [new StatusCause("FieldValueInvalid", $"Invalid value: {Selectors.GoText.Quote(value)}: {StrictDecodingError(errors)}", "patch")]);

    /// <summary>Go's <c>%+v</c> of a decoded patch (<c>map[spec:map[replicas:3]]</c>), as upstream prints it in errors.</summary>
    public static string GoMap(JsonNode? patch) => Patch.GoFormat.Value(patch);

    /// <summary>
    /// The object Go's decoder reads from JSON that repeats fields: the last value of a field wins, and a
    /// repeated object is decoded into the first, so their fields merge. Use when <see cref="FieldChecker"/>
    /// found duplicates (System.Text.Json's objects refuse repeated names).
    /// </summary>
    public static JsonNode? ParseLastWins(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 256 });
        return Convert(document.RootElement);
    }

    /// <summary>Removes every unknown field of <paramref name="problems"/> from <paramref name="root"/>.</summary>
    public static void Prune(JsonNode root, IReadOnlyList<FieldProblem> problems)
    {
        foreach (var problem in problems)
        {
            if (problem.Kind != FieldProblemKind.Unknown || problem.Segments is not [.., string last])
            {
                continue;
            }

            var node = root;
            for (var i = 0; i < problem.Segments.Count - 1 && node is not null; i++)
            {
                node = problem.Segments[i] switch
                {
                    string name => (node as JsonObject)?[name],
                    int index => node is JsonArray array && index < array.Count ? array[index] : null,
                    _ => null,
                };
            }

            (node as JsonObject)?.Remove(last);
        }
    }

    private static JsonNode? Convert(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var value = Convert(property.Value);
                    if (obj[property.Name] is JsonObject earlier && value is JsonObject later)
                    {
                        Merge(earlier, later);
                    }
                    else
                    {
                        obj[property.Name] = value;
                    }
                }

                return obj;
            case JsonValueKind.Array:
                return new JsonArray([.. element.EnumerateArray().Select(Convert)]);
            case JsonValueKind.Null:
                return null;
            default:
                return JsonNode.Parse(element.GetRawText());
        }
    }

    private static void Merge(JsonObject into, JsonObject from)
    {
        foreach (var (name, value) in from.ToList())
        {
            from.Remove(name);
            if (into[name] is JsonObject earlier && value is JsonObject later)
            {
                Merge(earlier, later);
            }
            else
            {
                into[name] = value;
            }
        }
    }
}
