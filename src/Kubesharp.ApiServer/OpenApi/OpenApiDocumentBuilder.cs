using System.Text.Json;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.ApiServer.OpenApi;

/// <summary>
/// Builds the OpenAPI 3.0 documents upstream serves under <c>/openapi/v3/</c>: one per group-version (the
/// kinds' schemas and their REST operations) and the small ones of the discovery paths (<c>api</c>,
/// <c>apis</c>, <c>apis/&lt;group&gt;</c>). Schemas come from an <see cref="IResourceSchemaSource"/>; the shared
/// <c>meta/v1</c> types from the models. Stateless apart from its inputs; thread-safe.
/// </summary>
internal sealed partial class OpenApiDocumentBuilder(IResourceSchemaSource schemas, string serverVersion)
{
    private static readonly BuiltinSchemas Models = BuiltinSchemas.Instance;

    /// <summary>The document of one group-version: its resources' paths and every schema they refer to.</summary>
    public byte[] GroupVersion(string group, string version, IEnumerable<ResourceInfo> resources)
    {
        var components = new SortedDictionary<string, ApiSchema>(StringComparer.Ordinal);
        var paths = new SortedDictionary<string, PathItem>(StringComparer.Ordinal);
        var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
        var tag = Tag(group, version);
        foreach (var resource in resources)
        {
            if (schemas.SchemaFor(resource) is not { } schema)
            {
                continue;
            }

            OpenApiSchemaWriter.Collect(schema.Kind, components);
            OpenApiSchemaWriter.Collect(schema.List, components);
            if (resource.Subresource("scale") is not null)
            {
                OpenApiSchemaWriter.Collect(Models.ForKind("autoscaling", "v1", "Scale")!, components);
            }

            AddResourcePaths(paths, prefix, tag, resource, schema);
        }

        foreach (var meta in new[] { "APIResourceList", "DeleteOptions", "Patch", "Status" })
        {
            OpenApiSchemaWriter.Collect(Models.Meta(meta), components);
        }

        paths[prefix + "/"] = new PathItem([], new() { ["get"] = Discovery($"get{Camel(group)}{Capitalized(version)}APIResources", "the resources of this group-version", tag, "APIResourceList") });
        return Document(components, paths);
    }

    /// <summary>The document of <c>/api/</c>: the core group's versions.</summary>
    public byte[] CoreRoot() => DiscoveryDocument("/api/", Discovery("getCoreAPIVersions", "the versions of the core group", "core", "APIVersions"), "APIVersions");

    /// <summary>The document of <c>/apis/</c>: the named groups.</summary>
    public byte[] GroupsRoot() => DiscoveryDocument("/apis/", Discovery("getAPIVersions", "the API groups and their versions", "apis", "APIGroupList"), "APIGroupList");

    /// <summary>The document of <c>/apis/&lt;group&gt;/</c>.</summary>
    public byte[] Group(string group) =>
        DiscoveryDocument($"/apis/{group}/", Discovery($"get{Camel(group)}APIGroup", "the versions of this group", Tag(group, null), "APIGroup"), "APIGroup");

    private byte[] DiscoveryDocument(string path, OpenApiOperation get, string schema)
    {
        var components = new SortedDictionary<string, ApiSchema>(StringComparer.Ordinal);
        OpenApiSchemaWriter.Collect(Models.Meta(schema), components);
        var paths = new SortedDictionary<string, PathItem>(StringComparer.Ordinal) { [path] = new PathItem([], new() { ["get"] = get }) };
        return Document(components, paths);
    }

    private static OpenApiOperation Discovery(string id, string what, string tag, string schema) =>
        new("", id, "get " + what, tag, null, [], RequestBody.None, null, [200], Meta(schema));

    private byte[] Document(SortedDictionary<string, ApiSchema> components, SortedDictionary<string, PathItem> paths)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("components");
            w.WriteStartObject("schemas");
            foreach (var (name, schema) in components)
            {
                w.WritePropertyName(name);
                OpenApiSchemaWriter.WriteDefinition(w, schema);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("info");
            w.WriteString("title", "Kubernetes");
            w.WriteString("version", serverVersion);
            w.WriteEndObject();
            w.WriteString("openapi", "3.0.0");
            w.WriteStartObject("paths");
            foreach (var (path, item) in paths)
            {
                w.WritePropertyName(path);
                item.Write(w);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The definition name of a meta/v1 type.</summary>
    private static string Meta(string name) => Models.Meta(name).Name!;

    /// <summary>The operations of one path, and the parameters common to all of them.</summary>
    private sealed record PathItem(IReadOnlyList<OpenApiParameter> Parameters, SortedDictionary<string, OpenApiOperation> Operations)
    {
        public void Write(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            // Upstream's keys are sorted: delete, get, parameters, patch, post, put.
            var keys = Operations.Keys.Append("parameters").Order(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                if (key == "parameters")
                {
                    if (Parameters.Count == 0)
                    {
                        continue;
                    }

                    w.WriteStartArray("parameters");
                    foreach (var parameter in Parameters)
                    {
                        parameter.Write(w);
                    }

                    w.WriteEndArray();
                    continue;
                }

                w.WritePropertyName(key);
                Operations[key].Write(w);
            }

            w.WriteEndObject();
        }
    }
}
