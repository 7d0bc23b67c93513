using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;

namespace Kubesharp.Api.Resources;

/// <summary>Whether a kind lives in a namespace.</summary>
public enum ResourceScope
{
    Namespaced,
    Cluster,
}

/// <summary>A subresource such as <c>status</c> or <c>scale</c>, as discovery advertises it.</summary>
/// <param name="Name">The path segment: <c>status</c>, <c>scale</c>, <c>binding</c>, <c>eviction</c>, <c>log</c>...</param>
/// <param name="Group">Group of the object the subresource takes and returns (<c>autoscaling</c> for scale).</param>
/// <param name="Version">Its version (<c>v1</c> for the autoscaling/v1 Scale).</param>
/// <param name="Kind">Its kind (<c>Scale</c>, <c>Binding</c>, <c>Eviction</c>, or the parent's kind for status).</param>
public sealed record SubresourceInfo(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);

/// <summary>One column of the server-side Table output (<c>meta.k8s.io/v1 TableColumnDefinition</c>).</summary>
/// <param name="Type">OpenAPI type: <c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>date</c>.</param>
/// <param name="Format"><c>name</c> for the name column, else usually empty.</param>
/// <param name="Priority">0 always shown; 1 only with <c>-o wide</c>.</param>
public sealed record PrinterColumn(string Name, string Type, string Format, string Description, int Priority);

/// <summary>
/// One row of the resource table: everything the server needs to serve a kind generically, and
/// everything discovery advertises. Rows are immutable data; adding a kind is adding a row (and, when
/// it needs one, a strategy for validation and defaulting).
/// </summary>
/// <param name="Group">API group; empty for the core group.</param>
/// <param name="Plural">The resource name in URLs: <c>pods</c>.</param>
/// <param name="Singular">The singular name: <c>pod</c>.</param>
/// <param name="Verbs">Upstream's verbs: create, delete, deletecollection, get, list, patch, update, watch.</param>
/// <param name="ShortNames">kubectl short names: <c>po</c>.</param>
/// <param name="Categories">Discovery categories: <c>all</c> puts a kind in <c>kubectl get all</c>.</param>
/// <param name="FieldSelectors">Field selector labels this kind supports beyond <c>metadata.name</c> and <c>metadata.namespace</c>,
/// each a dotted JSON path into the object (e.g. <c>spec.nodeName</c>, <c>status.phase</c>, <c>involvedObject.kind</c>).</param>
/// <param name="HasStatus">True when status is a subresource: the main resource's updates leave status alone, and <c>/status</c> updates only status.</param>
public sealed record ResourceInfo(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    ResourceScope Scope,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<SubresourceInfo> Subresources,
    IReadOnlyList<string> FieldSelectors,
    bool HasStatus)
{
    /// <summary>The verbs of an ordinary read-write kind.</summary>
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary><c>v1</c> for the core group, else <c>group/version</c>: the objects' apiVersion.</summary>
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public bool Namespaced => Scope == ResourceScope.Namespaced;

    public string ListKind => Custom?.ListKind ?? Kind + "List";

    /// <summary>For a custom resource, what its CRD says (schema, subresources, printer columns, deletion); null for built-in kinds.</summary>
    public CustomResourceInfo? Custom { get; init; }

    /// <summary>A custom resource version's <c>openAPIV3Schema</c>, as its CRD states it, for OpenAPI publishing (never mutate it); null for built-in kinds.</summary>
    public JsonObject? OpenApiV3Schema => Custom?.OpenApiV3Schema;

    /// <summary>
    /// The storage prefix of every object of this kind, ending with <c>/</c>: core kinds under
    /// <c>/registry/&lt;plural&gt;/</c> as upstream, others under <c>/registry/&lt;group&gt;/&lt;plural&gt;/</c>
    /// (so that a custom resource never collides with a built-in of the same plural).
    /// </summary>
    public string StoragePrefix => Group.Length == 0 ? $"/registry/{Plural}/" : $"/registry/{Group}/{Plural}/";

    /// <summary>The storage key of one object; <paramref name="ns"/> is ignored for cluster-scoped kinds.</summary>
    public string StorageKey(string? ns, string name) => Namespaced ? $"{StoragePrefix}{ns}/{name}" : StoragePrefix + name;

    /// <summary>The prefix that holds one namespace's objects (or every object, for a null namespace).</summary>
    public string StoragePrefixFor(string? ns) => Namespaced && ns is not null ? $"{StoragePrefix}{ns}/" : StoragePrefix;

    /// <summary>Whether the server serves <paramref name="verb"/>; a custom resource may serve more than discovery shows (see <see cref="CustomResourceInfo.Serves"/>).</summary>
    public bool Supports(string verb) => Custom is not null ? CustomResourceInfo.Serves(verb) : Verbs.Contains(verb, StringComparer.Ordinal);

    public SubresourceInfo? Subresource(string name) => Subresources.FirstOrDefault(s => s.Name == name);
}
