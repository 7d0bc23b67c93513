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
        (Labels.IsEmpty || Labels.Matches(obj)) && (Fields.IsEmpty || Fields.Matches(obj, ObjectFieldValues.Read));

    /// <summary>Matches a cached object on its precomputed labels and field values.</summary>
    public bool Matches(Cache.CachedObject obj, IReadOnlyList<string> fieldSelectors)
    {
        if (IsEmpty)
        {
            return true;
        }

        var selectable = obj.GetSelectable(fieldSelectors);
        return (Labels.IsEmpty || Labels.Matches(selectable.Labels))
            && (Fields.IsEmpty || Fields.Matches(selectable, static (s, field) => s.Fields.TryGetValue(field, out var value) ? value : ""));
    }

    public bool Matches(byte[] stored)
    {
        if (IsEmpty)
        {
            return true;
        }

        using var doc = JsonDocument.Parse(stored);
        return Matches(doc.RootElement);
    }
}
