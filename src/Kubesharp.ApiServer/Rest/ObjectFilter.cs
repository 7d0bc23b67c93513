using System.Text.Json;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Selectors;
using Microsoft.AspNetCore.Http;

namespace Kubesharp.ApiServer.Rest;

/// <summary>
/// The label and field selectors of a list or watch, checked against the kind's supported fields
/// (upstream answers 400 <c>field label not supported</c> for others) and evaluated on stored JSON.
/// </summary>
internal sealed class ObjectFilter
{
    // Upstream's boolean field labels read "false" when the field is absent.
    private static readonly HashSet<string> BooleanFields = new(StringComparer.Ordinal) { "spec.unschedulable", "spec.hostNetwork" };

    private ObjectFilter(LabelSelector labels, FieldSelector fields)
    {
        Labels = labels;
        Fields = fields;
    }

    public LabelSelector Labels { get; }

    public FieldSelector Fields { get; }

    public bool IsEmpty => Labels.IsEmpty && Fields.IsEmpty;

    public static ObjectFilter FromQuery(IQueryCollection query, ResourceInfo resource)
    {
        var labels = LabelSelector.Parse(query["labelSelector"].ToString());
        var fields = FieldSelector.Parse(query["fieldSelector"].ToString());
        foreach (var requirement in fields.Requirements)
        {
            if (requirement.Field is not ("metadata.name" or "metadata.namespace") && !resource.FieldSelectors.Contains(requirement.Field, StringComparer.Ordinal))
            {
                throw StatusException.BadRequest($"field label not supported: {requirement.Field}");
            }
        }

        return new ObjectFilter(labels, fields);
    }

    public bool Matches(JsonElement obj) =>
        (Labels.IsEmpty || Labels.Matches(obj)) && (Fields.IsEmpty || Fields.Matches(obj, FieldValue));

    public bool Matches(byte[] stored)
    {
        if (IsEmpty)
        {
            return true;
        }

        using var doc = JsonDocument.Parse(stored);
        return Matches(doc.RootElement);
    }

    private static string? FieldValue(JsonElement obj, string field)
    {
        // The core Event field "source" is the reporting component, as upstream's field label conversion.
        var path = field == "source" ? "source.component" : field;
        var current = obj;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return BooleanFields.Contains(field) ? "false" : "";
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => current.GetRawText(),
            _ => "",
        };
    }
}
