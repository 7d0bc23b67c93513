using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using static Kubesharp.ApiServer.Tests.Integration.CrdManifests;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>The C# client's typed CRD API, its custom objects and generic APIs, and raw HTTP, against custom resources.</summary>
public abstract class CustomResourceClientTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    /// <summary>Creates the Widget CRD of <paramref name="group"/> through the typed client and waits until it is established.</summary>
    private async Task<string> EstablishAsync(string group, string scope = "Namespaced", string extraVersions = "")
    {
        using var client = server.Client();
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(Widget(group, scope, extraVersions));
        var created = await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        Assert.Equal(["v1"], created.Status.StoredVersions);
        await EventuallyAsync($"widgets.{group} is established", async () =>
        {
            var read = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"widgets.{group}");
            return read.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;
        });
        return group;
    }

    private static JsonObject Instance(string group, string name, string spec, string version = "v1") =>
        JsonNode.Parse($$$"""{"apiVersion":"{{{group}}}/{{{version}}}","kind":"Widget","metadata":{"name":"{{{name}}}","labels":{"tier":"front"}},"spec":{{{spec}}}}""")!.AsObject();

    private static JsonElement AsJson(object o) => JsonSerializer.SerializeToElement(o);

    private static string Message(HttpOperationException e) => JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("message").GetString()!;

    [SkippableFact]
    public async Task Custom_objects_are_created_read_listed_patched_replaced_and_deleted()
    {
        var group = await EstablishAsync("client-crud.example.com");
        using var client = server.Client();

        var created = AsJson(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "c1", """{"replicas":2}"""), group, "v1", "default", "widgets"));
        var read = AsJson(await client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "c1"));
        var patched = AsJson(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"color":"green"}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "c1"));
        var jsonPatched = AsJson(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""[{"op":"replace","path":"/spec/replicas","value":5}]""", V1Patch.PatchType.JsonPatch), group, "v1", "default", "widgets", "c1"));
        var replacement = JsonNode.Parse(jsonPatched.GetRawText())!.AsObject();
        replacement["spec"]!["replicas"] = 6;
        var replaced = AsJson(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(replacement, group, "v1", "default", "widgets", "c1"));
        var list = AsJson(await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1", "default", "widgets", labelSelector: "tier=front"));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "c1");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "c1"));

        Assert.Equal("red", created.GetProperty("spec").GetProperty("color").GetString());
        Assert.Equal(1, created.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.Equal(created.GetProperty("metadata").GetProperty("uid").GetString(), read.GetProperty("metadata").GetProperty("uid").GetString());
        Assert.Equal("green", patched.GetProperty("spec").GetProperty("color").GetString());
        Assert.Equal(5, jsonPatched.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(6, replaced.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(4, replaced.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.Equal("WidgetList", list.GetProperty("kind").GetString());
        Assert.Equal(["c1"], list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        Assert.Equal($"widgets.{group} \"c1\" not found", Message(gone));
    }

    public sealed class WidgetObject : IKubernetesObject<V1ObjectMeta>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "Widget";

        [JsonPropertyName("metadata")]
        public V1ObjectMeta Metadata { get; set; } = new();

        [JsonPropertyName("spec")]
        public Dictionary<string, object>? Spec { get; set; }
    }

    [SkippableFact]
    public async Task The_generic_client_works_with_a_typed_custom_object()
    {
        var group = await EstablishAsync("client-generic.example.com");
        using var client = server.Client();
        using var widgets = new GenericClient(client, group, "v1", "widgets", disposeClient: false);

        var created = await widgets.CreateNamespacedAsync(new WidgetObject { ApiVersion = $"{group}/v1", Metadata = new V1ObjectMeta { Name = "g1" }, Spec = new() { ["replicas"] = 1 } }, "default");
        var read = await widgets.ReadNamespacedAsync<WidgetObject>("default", "g1");
        var list = await widgets.ListNamespacedAsync<CustomResourceList<WidgetObject>>("default");
        await widgets.DeleteNamespacedAsync<WidgetObject>("default", "g1");

        Assert.Equal("g1", created.Metadata.Name);
        Assert.Equal("red", read.Spec!["color"].ToString());
        Assert.Equal(["g1"], list.Items.Select(i => i.Metadata.Name));
    }

    public sealed class CustomResourceList<T> : IKubernetesObject<V1ListMeta>, IItems<T>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "";

        [JsonPropertyName("metadata")]
        public V1ListMeta Metadata { get; set; } = new();

        [JsonPropertyName("items")]
        public IList<T> Items { get; set; } = [];
    }

    [SkippableFact]
    public async Task A_schema_violation_is_422_with_a_cause_per_field()
    {
        var group = await EstablishAsync("client-invalid.example.com");
        using var client = server.Client();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "bad", """{"replicas":11,"color":5}"""), group, "v1", "default", "widgets"));

        Assert.Equal(422, (int)e.Response.StatusCode);
        using var status = JsonDocument.Parse(e.Response.Content);
        Assert.Equal("Invalid", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal($"Widget.{group} \"bad\" is invalid: [spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10, spec.color: Invalid value: \"integer\": spec.color in body must be of type string: \"integer\", spec.color: Unsupported value: 5: supported values: \"red\", \"green\", \"blue\"]",
            status.RootElement.GetProperty("message").GetString());
        var causes = status.RootElement.GetProperty("details").GetProperty("causes").EnumerateArray().Select(c => (c.GetProperty("reason").GetString(), c.GetProperty("field").GetString())).ToList();
        Assert.Equal([("FieldValueInvalid", "spec.replicas"), ("FieldValueTypeInvalid", "spec.color"), ("FieldValueNotSupported", "spec.color")], causes);
        Assert.Equal("Widget", status.RootElement.GetProperty("details").GetProperty("kind").GetString());
        Assert.Equal(group, status.RootElement.GetProperty("details").GetProperty("group").GetString());
    }

    [SkippableFact]
    public async Task Status_is_a_subresource_and_generation_follows_the_spec_only()
    {
        var group = await EstablishAsync("client-status.example.com");
        using var client = server.Client();
        var body = Instance(group, "s1", """{"replicas":1}""");
        body["status"] = new JsonObject { ["replicas"] = 9 };
        var created = AsJson(await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, group, "v1", "default", "widgets"));

        var withStatus = AsJson(await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"replicas":1},"spec":{"replicas":3}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "s1"));
        var mainPatch = AsJson(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"status":{"replicas":7},"metadata":{"labels":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "s1"));
        var badStatus = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"replicas":"x"}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "s1"));

        Assert.False(created.TryGetProperty("status", out _));
        Assert.Equal(1, withStatus.GetProperty("status").GetProperty("replicas").GetInt32());
        Assert.Equal(1, withStatus.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(1, withStatus.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.Equal(1, mainPatch.GetProperty("status").GetProperty("replicas").GetInt32());
        Assert.Equal(1, mainPatch.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.Equal(422, (int)badStatus.Response.StatusCode);
        // The scale subresource's check of statusReplicasPath speaks too, as upstream's does.
        Assert.Equal($"Widget.{group} \"s1\" is invalid: [status.replicas: Invalid value: \"string\": replicas in body must be of type integer: \"string\", .status.replicas: Invalid value: 0: .status.replicas accessor error: x is of the type string, expected int64]", Message(badStatus));
    }

    [SkippableFact]
    public async Task Scale_reads_and_writes_the_replica_paths_as_an_autoscaling_v1_Scale()
    {
        var group = await EstablishAsync("client-scale.example.com");
        using var client = server.Client();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "sc", """{"replicas":2}"""), group, "v1", "default", "widgets");
        await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"replicas":2,"selector":"app=sc"}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "sc");

        var scale = AsJson(await client.CustomObjects.GetNamespacedCustomObjectScaleAsync(group, "v1", "default", "widgets", "sc"));
        var scaled = AsJson(await client.CustomObjects.PatchNamespacedCustomObjectScaleAsync(new V1Patch("""{"spec":{"replicas":4}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "sc"));
        var tooMany = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CustomObjects.PatchNamespacedCustomObjectScaleAsync(new V1Patch("""{"spec":{"replicas":20}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "sc"));
        var parent = AsJson(await client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "sc"));

        Assert.Equal("autoscaling/v1", scale.GetProperty("apiVersion").GetString());
        Assert.Equal("Scale", scale.GetProperty("kind").GetString());
        Assert.Equal(2, scale.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("app=sc", scale.GetProperty("status").GetProperty("selector").GetString());
        Assert.Equal(4, scaled.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(422, (int)tooMany.Response.StatusCode);
        Assert.Equal(4, parent.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(2, parent.GetProperty("metadata").GetProperty("generation").GetInt64());
    }

    [SkippableFact]
    public async Task A_watch_sees_custom_objects_come_change_and_go()
    {
        var group = await EstablishAsync("client-watch.example.com");
        using var client = server.Client();
        var first = AsJson(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "w1", """{"replicas":1}"""), group, "v1", "default", "widgets"));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"replicas":2}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "w1");
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "w1");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var seen = new List<(WatchEventType, long)>();
        var rv = first.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        await foreach (var (type, item) in client.CustomObjects.WatchListNamespacedCustomObjectAsync(group, "v1", "default", "widgets", resourceVersion: rv, cancellationToken: cts.Token))
        {
            seen.Add((type, AsJson(item).GetProperty("spec").GetProperty("replicas").GetInt64()));
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([(WatchEventType.Modified, 2L), (WatchEventType.Deleted, 2L)], seen);
    }

    [SkippableFact]
    public async Task Every_served_version_reads_the_same_objects_stored_in_the_storage_version()
    {
        var group = await EstablishAsync("client-versions.example.com", extraVersions: V1Beta1);
        using var client = server.Client();

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "mv", """{"replicas":1,"free":"kept in v1beta1"}""", "v1beta1"), group, "v1beta1", "default", "widgets");
        var asV1 = AsJson(await client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "mv"));
        var asBeta = AsJson(await client.CustomObjects.ListNamespacedCustomObjectAsync(group, "v1beta1", "default", "widgets"));
        var stored = await server.Store.GetAsync($"/registry/{group}/widgets/default/mv");

        Assert.Equal($"{group}/v1", asV1.GetProperty("apiVersion").GetString());
        Assert.Equal($"{group}/v1beta1", asBeta.GetProperty("items")[0].GetProperty("apiVersion").GetString());
        Assert.Equal($"{group}/v1", JsonDocument.Parse(stored!.Value).RootElement.GetProperty("apiVersion").GetString());
        // Stored in v1, the object was pruned by v1's schema, as upstream prunes on conversion to the storage version.
        Assert.False(asV1.GetProperty("spec").TryGetProperty("free", out _));
    }

    [SkippableFact]
    public async Task Cluster_scoped_custom_objects_live_outside_namespaces()
    {
        var group = await EstablishAsync("client-cluster.example.com", scope: "Cluster");
        using var client = server.Client();

        var created = AsJson(await client.CustomObjects.CreateClusterCustomObjectAsync(Instance(group, "cw", """{"replicas":1}"""), group, "v1", "widgets"));
        var list = AsJson(await client.CustomObjects.ListClusterCustomObjectAsync(group, "v1", "widgets"));
        await client.CustomObjects.DeleteClusterCustomObjectAsync(group, "v1", "widgets", "cw");

        Assert.False(created.GetProperty("metadata").TryGetProperty("namespace", out _));
        Assert.Equal(["cw"], list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()));
        Assert.NotNull(await server.Store.GetAsync("/registry/apiextensions.k8s.io/customresourcedefinitions/widgets." + group));
    }

    [SkippableFact]
    public async Task Discovery_and_tables_describe_custom_resources()
    {
        var group = await EstablishAsync("client-discovery.example.com");
        using var client = server.Client();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "t1", """{"replicas":3}"""), group, "v1", "default", "widgets");
        using var http = server.Http();
        using var aggregated = new HttpRequestMessage(HttpMethod.Get, "/apis");
        aggregated.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        using var table = new HttpRequestMessage(HttpMethod.Get, $"/apis/{group}/v1/namespaces/default/widgets");
        table.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");

        using var apis = JsonDocument.Parse(await (await http.SendAsync(aggregated)).Content.ReadAsStringAsync());
        using var groupDoc = JsonDocument.Parse(await http.GetStringAsync($"/apis/{group}"));
        using var tableDoc = JsonDocument.Parse(await (await http.SendAsync(table)).Content.ReadAsStringAsync());

        var item = apis.RootElement.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("metadata").GetProperty("name").GetString() == group);
        var widgets = item.GetProperty("versions")[0].GetProperty("resources")[0];
        Assert.Equal("widgets", widgets.GetProperty("resource").GetString());
        Assert.Equal(["status", "scale"], widgets.GetProperty("subresources").EnumerateArray().Select(s => s.GetProperty("subresource").GetString()));
        Assert.Equal("v1", groupDoc.RootElement.GetProperty("preferredVersion").GetProperty("version").GetString());
        Assert.Equal(["Name", "Replicas", "Color", "Ready", "Age"], tableDoc.RootElement.GetProperty("columnDefinitions").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var cells = tableDoc.RootElement.GetProperty("rows")[0].GetProperty("cells");
        Assert.Equal("t1", cells[0].GetString());
        Assert.Equal(3, cells[1].GetInt32());
        Assert.Equal(JsonValueKind.Null, cells[3].ValueKind);
    }

    [SkippableFact]
    public async Task A_finalizer_holds_a_terminating_definition_until_its_objects_are_gone()
    {
        var group = await EstablishAsync("client-finalizer.example.com");
        using var client = server.Client();
        var held = Instance(group, "held", """{"replicas":1}""");
        held["metadata"]!["finalizers"] = new JsonArray("example.com/hold");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(held, group, "v1", "default", "widgets");

        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync($"widgets.{group}");
        var deleting = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"widgets.{group}");
        await EventuallyAsync("creates are refused while the definition terminates", async () =>
        {
            try
            {
                await client.CustomObjects.CreateNamespacedCustomObjectAsync(Instance(group, "late", """{"replicas":1}"""), group, "v1", "default", "widgets");
                await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "late");
                return false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.MethodNotAllowed)
            {
                Assert.Equal("create not allowed while custom resource definition is terminating", Message(e));
                return true;
            }
        });
        await EventuallyAsync("the held object is marked for deletion", async () =>
            AsJson(await client.CustomObjects.GetNamespacedCustomObjectAsync(group, "v1", "default", "widgets", "held")).GetProperty("metadata").TryGetProperty("deletionTimestamp", out _));
        var terminating = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"widgets.{group}");
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), group, "v1", "default", "widgets", "held");
        await EventuallyAsync("the definition is gone", async () =>
        {
            try
            {
                await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"widgets.{group}");
                return false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return true;
            }
        });

        Assert.Contains("customresourcecleanup.apiextensions.k8s.io", deleting.Metadata.Finalizers);
        Assert.Contains(terminating.Status.Conditions, c => c.Type == "Terminating" && c.Status == "True" && c.Reason == "InstanceDeletionInProgress");
        Assert.Null(await server.Store.GetAsync($"/registry/{group}/widgets/default/held"));
    }

    [SkippableFact]
    public async Task A_second_definition_claiming_taken_names_is_not_accepted()
    {
        var group = await EstablishAsync("client-conflict.example.com");
        using var client = server.Client();
        var rival = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(Widget(group).Replace("plural: widgets", "plural: gadgets", StringComparison.Ordinal)
            .Replace($"name: widgets.{group}", $"name: gadgets.{group}", StringComparison.Ordinal));

        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(rival);
        V1CustomResourceDefinition? read = null;
        await EventuallyAsync("the rival's names are decided", async () =>
        {
            read = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"gadgets.{group}");
            return read.Status?.Conditions?.Any(c => c.Type == "NamesAccepted") == true;
        });

        var names = read!.Status.Conditions.Single(c => c.Type == "NamesAccepted");
        var established = read.Status.Conditions.Single(c => c.Type == "Established");
        Assert.Equal(("False", "ListKindConflict", "\"WidgetList\" is already in use"), (names.Status, names.Reason, names.Message));
        Assert.Equal(("False", "NotAccepted"), (established.Status, established.Reason));
        using var http = server.Http();
        using var response = await http.GetAsync($"/apis/{group}/v1/namespaces/default/gadgets");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [SkippableFact]
    public async Task An_invalid_definition_is_refused_with_upstreams_causes()
    {
        using var http = server.Http();
        var body = KubernetesJson.Serialize(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(Widget("client-bad.example.com")
            .Replace("name: widgets.client-bad.example.com", "name: wrong.client-bad.example.com", StringComparison.Ordinal)
            .Replace("replicas: {type: integer}", "replicas: {}", StringComparison.Ordinal)));

        using var response = await http.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", new StringContent(body, Encoding.UTF8, "application/json"));
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(422, (int)response.StatusCode);
        var causes = status.RootElement.GetProperty("details").GetProperty("causes").EnumerateArray().Select(c => $"{c.GetProperty("field").GetString()}: {c.GetProperty("message").GetString()}").ToList();
        Assert.Contains("metadata.name: Invalid value: \"wrong.client-bad.example.com\": must be spec.names.plural+\".\"+spec.group", causes);
        Assert.Contains("spec.validation.openAPIV3Schema.properties[status].properties[replicas].type: Required value: must not be empty for specified object fields", causes);
    }
}

public sealed class CustomResourceClientTestsOnSqlite(SqliteApiServerFixture server) : CustomResourceClientTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class CustomResourceClientTestsOnEtcd(EtcdApiServerFixture server) : CustomResourceClientTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
