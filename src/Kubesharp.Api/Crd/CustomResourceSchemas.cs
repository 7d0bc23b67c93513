using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.Api.Crd;

/// <summary>
/// The OpenAPI schemas of custom resources, built from each served version's <c>openAPIV3Schema</c>: the
/// kind (with <c>apiVersion</c>, <c>kind</c> and upstream's ObjectMeta) and its list, named as upstream names
/// them (<c>com.example.stable.v1.CronTab</c>), so that <c>kubectl explain</c> reads them. One schema per row,
/// built once (a CRD change makes a new row). Unknown and wrongly typed fields of custom resources are the
/// CRD strategy's to find (pruning and schema validation), not the field checker's.
/// </summary>
public sealed class CustomResourceSchemas : IResourceSchemaSource
{
    public static CustomResourceSchemas Instance { get; } = new();

    private readonly ConditionalWeakTable<ResourceInfo, ResourceSchema> _built = [];

    private CustomResourceSchemas()
    {
    }

    public ResourceSchema? SchemaFor(ResourceInfo resource)
    {
        if (resource.OpenApiV3Schema is not { } root)
        {
            return null;
        }

        return _built.GetValue(resource, r => Build(r, root));
    }

    private static ResourceSchema Build(ResourceInfo resource, JsonObject root)
    {
        var prefix = string.Join('.', resource.Group.Split('.').Reverse()) + "." + resource.Version + ".";
        var kind = Convert(root, prefix + resource.Kind, forKind: true);
        var properties = kind.Properties.Where(p => p.Name is not ("apiVersion" or "kind" or "metadata")).ToList();
        properties.Add(new ApiProperty("apiVersion", new ApiSchema(SchemaShape.String), "APIVersion defines the versioned schema of this representation of an object."));
        properties.Add(new ApiProperty("kind", new ApiSchema(SchemaShape.String), "Kind is a string value representing the REST resource this object represents."));
        properties.Add(new ApiProperty("metadata", BuiltinSchemas.Instance.Meta("ObjectMeta"), "Standard object's metadata."));
        var gvk = new GroupVersionKind(resource.Group, resource.Version, resource.Kind);
        var kindSchema = new ApiSchema(SchemaShape.Object, prefix + resource.Kind, description: Text(root, "description"))
            .Complete(properties, required: kind.Required, kinds: [gvk], preserveUnknownFields: kind.PreserveUnknownFields);
        var list = new ApiSchema(SchemaShape.Object, prefix + resource.ListKind, description: $"{resource.ListKind} is a list of {resource.Kind}")
            .Complete(
                [
                    new ApiProperty("apiVersion", new ApiSchema(SchemaShape.String)),
                    new ApiProperty("kind", new ApiSchema(SchemaShape.String)),
                    new ApiProperty("metadata", BuiltinSchemas.Instance.Meta("ListMeta")),
                    new ApiProperty("items", new ApiSchema(SchemaShape.Array).Complete(items: kindSchema), $"List of {resource.Plural}."),
                ],
                required: ["items"],
                kinds: [new GroupVersionKind(resource.Group, resource.Version, resource.ListKind)]);
        return new ResourceSchema(kindSchema, list, StrategicMergePatch: false);
    }

    /// <summary>One node of a structural schema as an <see cref="ApiSchema"/>.</summary>
    private static ApiSchema Convert(JsonObject node, string? name = null, bool forKind = false)
    {
        var description = Text(node, "description");
        var format = Text(node, "format");
        var preserve = node["x-kubernetes-preserve-unknown-fields"] is JsonValue p && p.TryGetValue<bool>(out var keep) && keep;
        if (node["x-kubernetes-int-or-string"] is JsonValue i && i.TryGetValue<bool>(out var intOrString) && intOrString)
        {
            return new ApiSchema(SchemaShape.IntOrString, description: description);
        }

        switch (Text(node, "type"))
        {
            case "object" when node["properties"] is JsonObject properties || forKind:
                var converted = new List<ApiProperty>();
                foreach (var (field, value) in node["properties"] as JsonObject ?? [])
                {
                    if (value is JsonObject child)
                    {
                        converted.Add(new ApiProperty(field, Convert(child), Text(child, "description")));
                    }
                }

                var required = node["required"] is JsonArray r ? r.Select(v => v?.ToString() ?? "").ToList() : [];
                return new ApiSchema(SchemaShape.Object, name, description: description).Complete(converted, required: required, preserveUnknownFields: preserve);
            case "object" when node["additionalProperties"] is JsonObject values:
                return new ApiSchema(SchemaShape.Map, description: description).Complete(items: Convert(values));
            case "object":
                return preserve ? new ApiSchema(SchemaShape.Any, description: description) : new ApiSchema(SchemaShape.Object, description: description).Complete();
            case "array":
                return new ApiSchema(SchemaShape.Array, description: description)
                    .Complete(items: node["items"] is JsonObject items ? Convert(items) : new ApiSchema(SchemaShape.Any));
            case "string":
                return new ApiSchema(SchemaShape.String, format: format, description: description);
            case "integer":
                return new ApiSchema(SchemaShape.Integer, format: format ?? "int64", description: description);
            case "number":
                return new ApiSchema(SchemaShape.Number, format: format ?? "double", description: description);
            case "boolean":
                return new ApiSchema(SchemaShape.Boolean, description: description);
            default:
                return new ApiSchema(SchemaShape.Any, description: description);
        }
    }

    private static string? Text(JsonObject node, string field) =>
        node[field] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}
