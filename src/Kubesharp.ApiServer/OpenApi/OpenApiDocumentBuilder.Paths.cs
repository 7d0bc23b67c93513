using System.Globalization;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;

namespace Kubesharp.ApiServer.OpenApi;

internal sealed partial class OpenApiDocumentBuilder
{
    /// <summary>
    /// The paths of one resource, as the server serves them: the collection (list, create, deletecollection),
    /// the object (read, replace, patch, delete), <c>/status</c> and <c>/scale</c> when the resource has them,
    /// and, for a namespaced resource, the list across all namespaces. The deprecated <c>/watch/</c> paths are
    /// not served, so not listed; lists take <c>watch=true</c>.
    /// </summary>
    private static void AddResourcePaths(SortedDictionary<string, PathItem> paths, string prefix, string tag, ResourceInfo resource, ResourceSchema schema)
    {
        var gvk = new GroupVersionKind(resource.Group, resource.Version, resource.Kind);
        var kind = schema.Kind.Name!;
        var list = schema.List.Name!;
        var id = Camel(resource.Group) + Capitalized(resource.Version) + (resource.Namespaced ? "Namespaced" : "") + resource.Kind;
        var collection = resource.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{resource.Plural}" : $"{prefix}/{resource.Plural}";
        var scope = resource.Namespaced ? new[] { OpenApiParameters.Namespace, OpenApiParameters.Pretty } : [OpenApiParameters.Pretty];
        var objectScope = resource.Namespaced
            ? new[] { OpenApiParameters.Name, OpenApiParameters.Namespace, OpenApiParameters.Pretty }
            : [OpenApiParameters.Name, OpenApiParameters.Pretty];
        var smp = schema.StrategicMergePatch;
        var deleted = resource.Group.Length == 0 && resource.Kind == "Pod" ? kind : Meta("Status");

        var collectionOps = new SortedDictionary<string, OpenApiOperation>(StringComparer.Ordinal);
        if (resource.Supports("list"))
        {
            collectionOps["get"] = new("list", "list" + id, $"list or watch objects of kind {resource.Kind}", tag, gvk,
                OpenApiParameters.List, RequestBody.None, null, [200], list, Stream: true);
        }

        if (resource.Supports("create"))
        {
            collectionOps["post"] = new("post", "create" + id, $"create a {resource.Kind}", tag, gvk,
                OpenApiParameters.Write, RequestBody.Object, kind, [200, 201, 202], kind);
        }

        if (resource.Supports("deletecollection"))
        {
            collectionOps["delete"] = new("deletecollection", "delete" + Camel(resource.Group) + Capitalized(resource.Version) + "Collection" + (resource.Namespaced ? "Namespaced" : "") + resource.Kind,
                $"delete a collection of {resource.Kind}", tag, gvk, OpenApiParameters.DeleteCollection, RequestBody.DeleteOptions, Meta("DeleteOptions"), [200], Meta("Status"));
        }

        Add(paths, collection, scope, collectionOps);

        var objectOps = new SortedDictionary<string, OpenApiOperation>(StringComparer.Ordinal);
        if (resource.Supports("get"))
        {
            objectOps["get"] = new("get", "read" + id, $"read the specified {resource.Kind}", tag, gvk, [], RequestBody.None, null, [200], kind);
        }

        if (resource.Supports("update"))
        {
            objectOps["put"] = new("put", "replace" + id, $"replace the specified {resource.Kind}", tag, gvk,
                OpenApiParameters.Write, RequestBody.Object, kind, [200, 201], kind);
        }

        if (resource.Supports("patch"))
        {
            objectOps["patch"] = new("patch", "patch" + id, $"partially update the specified {resource.Kind}", tag, gvk,
                OpenApiParameters.Patch, RequestBody.Patch, Meta("Patch"), [200, 201], kind, smp);
        }

        if (resource.Supports("delete"))
        {
            objectOps["delete"] = new("delete", "delete" + id, $"delete a {resource.Kind}", tag, gvk,
                OpenApiParameters.Delete, RequestBody.DeleteOptions, Meta("DeleteOptions"), [200, 202], deleted);
        }

        Add(paths, $"{collection}/{{name}}", objectScope, objectOps);

        if (resource.HasStatus)
        {
            Add(paths, $"{collection}/{{name}}/status", objectScope, Subresource(id + "Status", $"status of the specified {resource.Kind}", tag, gvk, kind, smp));
        }

        if (resource.Subresource("scale") is { } scale)
        {
            var scaleSchema = Models.ForKind(scale.Group, scale.Version, scale.Kind)!.Name!;
            var scaleKind = new GroupVersionKind(scale.Group, scale.Version, scale.Kind);
            Add(paths, $"{collection}/{{name}}/scale", objectScope, Subresource(id + "Scale", $"scale of the specified {resource.Kind}", tag, scaleKind, scaleSchema, smp));
        }

        if (resource.Namespaced && resource.Supports("list"))
        {
            var all = new SortedDictionary<string, OpenApiOperation>(StringComparer.Ordinal)
            {
                ["get"] = new("list", "list" + Camel(resource.Group) + Capitalized(resource.Version) + resource.Kind + "ForAllNamespaces",
                    $"list or watch objects of kind {resource.Kind}", tag, gvk, OpenApiParameters.List, RequestBody.None, null, [200], list, Stream: true),
            };
            Add(paths, $"{prefix}/{resource.Plural}", [OpenApiParameters.Pretty], all);
        }
    }

    private static SortedDictionary<string, OpenApiOperation> Subresource(string id, string what, string tag, GroupVersionKind gvk, string schema, bool smp) => new(StringComparer.Ordinal)
    {
        ["get"] = new("get", "read" + id, "read " + what, tag, gvk, [], RequestBody.None, null, [200], schema),
        ["put"] = new("put", "replace" + id, "replace " + what, tag, gvk, OpenApiParameters.Write, RequestBody.Object, schema, [200, 201], schema),
        ["patch"] = new("patch", "patch" + id, "partially update " + what, tag, gvk, OpenApiParameters.Patch, RequestBody.Patch, Meta("Patch"), [200, 201], schema, smp),
    };

    private static void Add(SortedDictionary<string, PathItem> paths, string path, IReadOnlyList<OpenApiParameter> parameters, SortedDictionary<string, OpenApiOperation> operations)
    {
        if (operations.Count > 0)
        {
            paths[path] = new PathItem(parameters, operations);
        }
    }

    /// <summary>Upstream's tag of a group-version: <c>core_v1</c>, <c>apps_v1</c>, <c>rbacAuthorization_v1</c>; of a group alone, <c>apps</c>.</summary>
    private static string Tag(string group, string? version)
    {
        var camel = Camel(group);
        var name = char.ToLowerInvariant(camel[0]) + camel[1..];
        return version is null ? name : $"{name}_{version}";
    }

    /// <summary>A group as operation ids spell it: <c>Core</c>, <c>Apps</c>, <c>RbacAuthorization</c> (without <c>.k8s.io</c>).</summary>
    private static string Camel(string group)
    {
        if (group.Length == 0)
        {
            return "Core";
        }

        var trimmed = group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        return string.Concat(trimmed.Split('.', '-').Where(p => p.Length > 0).Select(Capitalized));
    }

    private static string Capitalized(string word) => char.ToUpper(word[0], CultureInfo.InvariantCulture) + word[1..];
}
