using System.Text.Json;
using System.Text.RegularExpressions;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Schema;
using Kubesharp.Api.Schema.Models;
using Kubesharp.ApiServer.OpenApi;

namespace Kubesharp.ApiServer.Tests.OpenApi;

public sealed partial class OpenApiDocumentsTests
{
    private static readonly OpenApiDocuments Builtin = new(() => BuiltinResources.Table, BuiltinSchemas.Instance, "v1.32.0-test");

    private static JsonElement Json(byte[] bytes) => JsonDocument.Parse(bytes).RootElement;

    [GeneratedRegex("^/openapi/v3/(?<key>.+)\\?hash=(?<hash>[0-9A-F]{128})$")]
    private static partial Regex ServerRelativeUrl();

    [Fact]
    public void The_index_lists_every_group_version_and_the_discovery_documents_with_their_hashes()
    {
        var snapshot = Builtin.Current();
        var paths = Json(snapshot.Index).GetProperty("paths");
        var keys = paths.EnumerateObject().Select(p => p.Name).ToList();

        var expected = BuiltinResources.Table.GroupVersions().Select(gv => gv.Group.Length == 0 ? $"api/{gv.Version}" : $"apis/{gv.Group}/{gv.Version}")
            .Concat(["api", "apis", "apis/apps", "apis/rbac.authorization.k8s.io"]);
        Assert.All(expected, key => Assert.Contains(key, keys));
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        foreach (var entry in paths.EnumerateObject())
        {
            var match = ServerRelativeUrl().Match(entry.Value.GetProperty("serverRelativeURL").GetString()!);
            Assert.True(match.Success, entry.Name);
            Assert.Equal(entry.Name, match.Groups["key"].Value);
            Assert.Equal(snapshot.Documents[entry.Name].Hash, match.Groups["hash"].Value);
        }
    }

    [Fact]
    public void Documents_are_the_same_bytes_on_every_build()
    {
        var again = new OpenApiDocuments(() => BuiltinResources.Table, BuiltinSchemas.Instance, "v1.32.0-test").Current();

        Assert.Equal(Builtin.Current().Index, again.Index);
        Assert.Equal(Builtin.Current().Documents["apis/apps/v1"].Bytes, again.Documents["apis/apps/v1"].Bytes);
    }

    [Fact]
    public void Every_patch_operation_carries_its_kind_the_fieldValidation_parameter_and_the_patch_types()
    {
        foreach (var (key, document) in Builtin.Current().Documents.Where(d => IsGroupVersion(d.Key)))
        {
            var patches = Json(document.Bytes).GetProperty("paths").EnumerateObject()
                .Where(p => p.Value.TryGetProperty("patch", out _)).Select(p => (p.Name, Op: p.Value.GetProperty("patch"))).ToList();

            // Groups of create-only kinds (the reviews) have nothing to patch, as upstream.
            var patchable = BuiltinResources.Table.All.Any(r => (key == (r.Group.Length == 0 ? $"api/{r.Version}" : $"apis/{r.Group}/{r.Version}")) && r.Supports("patch"));
            Assert.Equal(patchable, patches.Count > 0);
            foreach (var (path, op) in patches)
            {
                Assert.Equal("patch", op.GetProperty("x-kubernetes-action").GetString());
                Assert.True(op.GetProperty("x-kubernetes-group-version-kind").TryGetProperty("kind", out _), $"{key} {path}");
                Assert.Contains(op.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "fieldValidation" && p.GetProperty("in").GetString() == "query");
                var content = op.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name).ToList();
                Assert.Equal(["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"], content);
            }
        }
    }

    [Fact]
    public void Every_reference_resolves_within_its_document()
    {
        foreach (var (key, document) in Builtin.Current().Documents)
        {
            var root = Json(document.Bytes);
            var components = root.GetProperty("components").GetProperty("schemas");
            foreach (var reference in References(root))
            {
                Assert.True(components.TryGetProperty(reference[OpenApiSchemaWriter.RefPrefix.Length..], out _), $"{key}: {reference} does not resolve");
            }
        }
    }

    [Fact]
    public void The_core_document_describes_pods_as_kubectl_explain_reads_them()
    {
        var root = Json(Builtin.Current().Documents["api/v1"].Bytes);
        var schemas = root.GetProperty("components").GetProperty("schemas");
        var pod = schemas.GetProperty("io.k8s.api.core.v1.Pod");
        var podSpec = schemas.GetProperty("io.k8s.api.core.v1.PodSpec");
        var list = root.GetProperty("paths").GetProperty("/api/v1/pods").GetProperty("get");

        Assert.Equal("3.0.0", root.GetProperty("openapi").GetString());
        Assert.Equal("""[{"group":"","kind":"Pod","version":"v1"}]""", pod.GetProperty("x-kubernetes-group-version-kind").GetRawText());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.PodSpec", pod.GetProperty("properties").GetProperty("spec").GetProperty("allOf")[0].GetProperty("$ref").GetString());
        Assert.StartsWith("Specification of the desired behavior of the pod.", pod.GetProperty("properties").GetProperty("spec").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("merge", podSpec.GetProperty("properties").GetProperty("containers").GetProperty("x-kubernetes-patch-strategy").GetString());
        Assert.Equal("name", podSpec.GetProperty("properties").GetProperty("containers").GetProperty("x-kubernetes-patch-merge-key").GetString());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.Container", podSpec.GetProperty("properties").GetProperty("containers").GetProperty("items").GetProperty("$ref").GetString());
        Assert.Equal("listCoreV1PodForAllNamespaces", list.GetProperty("operationId").GetString());
        Assert.Equal("Pod", list.GetProperty("x-kubernetes-group-version-kind").GetProperty("kind").GetString());
        Assert.True(schemas.GetProperty("io.k8s.apimachinery.pkg.util.intstr.IntOrString").GetProperty("x-kubernetes-int-or-string").GetBoolean());
    }

    [Fact]
    public void Scale_operations_take_autoscaling_v1_Scale()
    {
        var root = Json(Builtin.Current().Documents["apis/apps/v1"].Bytes);
        var scale = root.GetProperty("paths").GetProperty("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale").GetProperty("patch");

        Assert.Equal("""{"group":"autoscaling","kind":"Scale","version":"v1"}""", scale.GetProperty("x-kubernetes-group-version-kind").GetRawText());
        Assert.Equal("patchAppsV1NamespacedDeploymentScale", scale.GetProperty("operationId").GetString());
        Assert.True(root.GetProperty("components").GetProperty("schemas").TryGetProperty("io.k8s.api.autoscaling.v1.Scale", out _));
    }

    [Fact]
    public void A_resource_that_brings_its_own_schema_is_served_after_an_invalidation()
    {
        var crontabs = new ResourceInfo("stable.example.com", "v1", "CronTab", "crontabs", "crontab", ResourceScope.Namespaced, ResourceInfo.AllVerbs, [], [], [], [], false);
        var table = BuiltinResources.Table;
        var documents = new OpenApiDocuments(() => table, new ResourceSchemaSources(new CronTabs(), BuiltinSchemas.Instance), "v1.32.0-test");
        Assert.False(documents.Current().Documents.ContainsKey("apis/stable.example.com/v1"));

        table = new ResourceTable([.. BuiltinResources.Table.All, crontabs]);
        documents.Invalidate();

        var root = Json(documents.Current().Documents["apis/stable.example.com/v1"].Bytes);
        var schema = root.GetProperty("components").GetProperty("schemas").GetProperty("com.example.stable.v1.CronTab");
        var patch = root.GetProperty("paths").GetProperty("/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}").GetProperty("patch");
        Assert.Equal("""[{"group":"stable.example.com","kind":"CronTab","version":"v1"}]""", schema.GetProperty("x-kubernetes-group-version-kind").GetRawText());
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("spec").GetProperty("properties").GetProperty("cronSpec").GetProperty("type").GetString());
        Assert.DoesNotContain(patch.GetProperty("requestBody").GetProperty("content").EnumerateObject(), c => c.Name == "application/strategic-merge-patch+json");
        Assert.Contains("apis/stable.example.com", documents.Current().Documents.Keys);
    }

    private static bool IsGroupVersion(string key) => key.StartsWith("api/", StringComparison.Ordinal) || key.Count(c => c == '/') == 2;

    /// <summary>Every <c>$ref</c> keyword (a property named <c>$ref</c>, as JSONSchemaProps has, is not one).</summary>
    private static IEnumerable<string> References(JsonElement element, bool propertyNames = false)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            return element.EnumerateArray().SelectMany(item => References(item));
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return element.EnumerateObject().SelectMany(property =>
            !propertyNames && property.Name == "$ref" && property.Value.ValueKind == JsonValueKind.String
                ? [property.Value.GetString()!]
                : References(property.Value, !propertyNames && property.Name == "properties"));
    }

    /// <summary>What a custom resource's source looks like: its own nodes, the shared ObjectMeta from the models.</summary>
    private sealed class CronTabs : IResourceSchemaSource
    {
        public ResourceSchema? SchemaFor(ResourceInfo resource)
        {
            if (resource.Group != "stable.example.com")
            {
                return null;
            }

            var meta = BuiltinSchemas.Instance.Meta("ObjectMeta");
            var spec = new ApiSchema(SchemaShape.Object).Complete([new ApiProperty("cronSpec", new ApiSchema(SchemaShape.String))]);
            var kind = new ApiSchema(SchemaShape.Object, "com.example.stable.v1.CronTab", description: "A cron tab.").Complete(
                [new ApiProperty("apiVersion", new ApiSchema(SchemaShape.String)), new ApiProperty("kind", new ApiSchema(SchemaShape.String)), new ApiProperty("metadata", meta), new ApiProperty("spec", spec)],
                kinds: [new GroupVersionKind("stable.example.com", "v1", "CronTab")]);
            var list = new ApiSchema(SchemaShape.Object, "com.example.stable.v1.CronTabList").Complete(
                [new ApiProperty("items", new ApiSchema(SchemaShape.Array).Complete(items: kind)), new ApiProperty("metadata", BuiltinSchemas.Instance.Meta("ListMeta"))],
                kinds: [new GroupVersionKind("stable.example.com", "v1", "CronTabList")]);
            return new ResourceSchema(kind, list, StrategicMergePatch: false);
        }
    }
}
