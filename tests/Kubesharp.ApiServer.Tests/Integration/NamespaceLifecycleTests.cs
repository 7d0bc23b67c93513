using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>
/// Upstream's namespace registry: DELETE marks (deletionTimestamp, phase Terminating) and keeps the namespace
/// while <c>spec.finalizers</c> hold it; only <c>/finalize</c> changes them; creates in a terminating namespace
/// are refused (NamespaceLifecycle); the namespace goes once every finalizer is gone.
/// </summary>
public abstract class NamespaceLifecycleTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private static StringContent Json(string json, string type = "application/json") => new(json, Encoding.UTF8, type);

    private static V1Namespace Namespace(string name) => new() { Metadata = new V1ObjectMeta { Name = name } };

    [SkippableFact]
    public async Task Delete_marks_the_namespace_terminating_and_finalize_lets_it_go()
    {
        using var client = server.Client();
        using var http = server.Http();
        await client.CoreV1.CreateNamespaceAsync(Namespace("ns-lifecycle"));

        // Raw DELETEs: the generated client reads a namespace's delete answer as a Status, but upstream answers with the namespace.
        using var first = await http.DeleteAsync("/api/v1/namespaces/ns-lifecycle");
        var marked = k8s.KubernetesJson.Deserialize<V1Namespace>(await first.Content.ReadAsStringAsync());
        using var second = await http.DeleteAsync("/api/v1/namespaces/ns-lifecycle");
        var again = k8s.KubernetesJson.Deserialize<V1Namespace>(await second.Content.ReadAsStringAsync());
        var read = await client.CoreV1.ReadNamespaceAsync("ns-lifecycle");
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "ns-lifecycle"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal("Namespace", marked.Kind);
        Assert.NotNull(marked.Metadata.DeletionTimestamp);
        Assert.Equal("Terminating", marked.Status.Phase);
        Assert.Equal(marked.Metadata.ResourceVersion, again.Metadata.ResourceVersion);
        Assert.Equal(["kubernetes"], read.Spec.Finalizers);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        Assert.Contains("unable to create new content in namespace ns-lifecycle because it is being terminated", refused.Response.Content, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"NamespaceTerminating\"", refused.Response.Content, StringComparison.Ordinal);

        // An update of the namespace itself cannot drop spec.finalizers; /finalize can, and then the namespace goes.
        read.Spec.Finalizers = [];
        read.Metadata.Labels = new Dictionary<string, string> { ["touched"] = "yes" };
        var updated = await client.CoreV1.ReplaceNamespaceAsync(read, "ns-lifecycle");
        Assert.Equal(["kubernetes"], updated.Spec.Finalizers);
        Assert.Equal("Terminating", updated.Status.Phase);

        updated.Spec.Finalizers = [];
        await client.CoreV1.ReplaceNamespaceFinalizeAsync(updated, "ns-lifecycle");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync("ns-lifecycle"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [SkippableFact]
    public async Task Metadata_finalizers_still_hold_a_namespace_whose_spec_finalizers_are_gone()
    {
        using var client = server.Client();
        var ns = Namespace("ns-held");
        ns.Metadata.Finalizers = ["example.com/hold"];
        await client.CoreV1.CreateNamespaceAsync(ns);
        using var http = server.Http();
        (await http.DeleteAsync("/api/v1/namespaces/ns-held")).EnsureSuccessStatusCode();

        var read = await client.CoreV1.ReadNamespaceAsync("ns-held");
        read.Spec.Finalizers = [];
        var finalized = await client.CoreV1.ReplaceNamespaceFinalizeAsync(read, "ns-held");
        var status = await client.CoreV1.ReplaceNamespaceStatusAsync(finalized, "ns-held");

        Assert.Empty(finalized.Spec.Finalizers ?? []);
        Assert.Equal("Terminating", status.Status.Phase);
        await client.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "ns-held");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespaceAsync("ns-held"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [SkippableFact]
    public async Task Finalize_is_update_only_and_discovery_lists_it()
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces", Json("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns-finalize-verbs"}}"""))).EnsureSuccessStatusCode();

        using var get = await http.GetAsync("/api/v1/namespaces/ns-finalize-verbs/finalize");
        using var patch = await http.PatchAsync("/api/v1/namespaces/ns-finalize-verbs/finalize", Json("""{"spec":{"finalizers":[]}}""", "application/merge-patch+json"));
        using var discovery = JsonDocument.Parse(await http.GetStringAsync("/api/v1"));
        using var namespaceCreatesStillWork = await http.PostAsync("/api/v1/namespaces/ns-finalize-verbs/configmaps", Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok"}}"""));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, patch.StatusCode);
        var finalize = discovery.RootElement.GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "namespaces/finalize");
        Assert.Equal(["update"], finalize.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(HttpStatusCode.Created, namespaceCreatesStillWork.StatusCode);
    }
}

public sealed class NamespaceLifecycleTestsOnSqlite(SqliteApiServerFixture server) : NamespaceLifecycleTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class NamespaceLifecycleTestsOnEtcd(EtcdApiServerFixture server) : NamespaceLifecycleTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
