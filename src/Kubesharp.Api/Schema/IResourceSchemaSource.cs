using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Schema;

/// <summary>The schemas of one served resource: its kind, its list kind, and the patch types it takes.</summary>
/// <param name="Kind">The schema of the resource's objects; it carries the kind's <c>x-kubernetes-group-version-kind</c>.</param>
/// <param name="List">The schema of its list (<c>PodList</c>).</param>
/// <param name="StrategicMergePatch">Whether PATCH takes <c>application/strategic-merge-patch+json</c>: true for
/// built-in kinds, false for custom resources (upstream answers 415 to them).</param>
public sealed record ResourceSchema(ApiSchema Kind, ApiSchema List, bool StrategicMergePatch);

/// <summary>
/// Supplies the schema of a resource's kind: the OpenAPI documents describe it, and create, update and
/// patch check request bodies against it (unknown and duplicate fields). The built-in kinds come from the
/// <c>KubernetesClient</c> models (<see cref="Models.BuiltinSchemas"/>); custom resources plug in their own
/// source built from the CRD's <c>openAPIV3Schema</c>.
/// </summary>
/// <remarks>
/// Contract: the answer for a resource does not change while the resource is served with the same row;
/// a source whose answers change (a CRD updated) tells the OpenAPI documents to rebuild. Implementations are
/// called from many requests at once and must be thread-safe; returned schemas are immutable.
/// </remarks>
public interface IResourceSchemaSource
{
    /// <summary>The schemas of <paramref name="resource"/>, or null when this source does not know its kind.</summary>
    ResourceSchema? SchemaFor(ResourceInfo resource);
}

/// <summary>Several sources asked in order; the first that knows a resource answers.</summary>
public sealed class ResourceSchemaSources(params IResourceSchemaSource[] sources) : IResourceSchemaSource
{
    public ResourceSchema? SchemaFor(ResourceInfo resource)
    {
        foreach (var source in sources)
        {
            if (source.SchemaFor(resource) is { } schema)
            {
                return schema;
            }
        }

        return null;
    }
}
