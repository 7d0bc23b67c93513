using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>The official C# client (KubernetesClient) and raw HTTP against a real server.</summary>
public abstract partial class ClientTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private static V1ConfigMap ConfigMap(string name, string value) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "web" } }, Data = new Dictionary<string, string> { ["key"] = value } };

    [SkippableFact]
    public async Task Create_read_update_and_delete_through_the_typed_client()
    {
        using var client = server.Client();

        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("typed", "1"), "default");
        Assert.NotNull(created.Metadata.Uid);
        created.Data["key"] = "2";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "typed", "default");
        var read = await client.CoreV1.ReadNamespacedConfigMapAsync("typed", "default");
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("typed", "default");

        Assert.Equal("2", read.Data["key"]);
        Assert.Equal(updated.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.True(long.Parse(updated.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(list.Items, i => i.Metadata.Name == "typed");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync("typed", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [SkippableFact]
    public async Task A_watch_with_a_label_selector_sees_objects_start_and_stop_matching()
    {
        using var client = server.Client();
        var start = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("sel-a", "1"), "default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var other = ConfigMap("sel-b", "1");
        other.Metadata.Labels["app"] = "db";
        var b = await client.CoreV1.CreateNamespacedConfigMapAsync(other, "default");
        b.Metadata.Labels["app"] = "web";
        b = await client.CoreV1.ReplaceNamespacedConfigMapAsync(b, "sel-b", "default");
        b.Metadata.Labels["app"] = "db";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(b, "sel-b", "default");

        var seen = new List<(WatchEventType Type, string Name)>();
        await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", labelSelector: "app=web", resourceVersion: start.Metadata.ResourceVersion, cancellationToken: cts.Token))
        {
            seen.Add((type, item.Metadata.Name));
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([(WatchEventType.Added, "sel-b"), (WatchEventType.Deleted, "sel-b")], seen);
    }

    [SkippableFact]
    public async Task Pods_on_a_node_are_deleted_gracefully_and_a_pod_never_scheduled_at_once()
    {
        using var client = server.Client();
        V1Pod Pod(string name, string? node) => new()
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "127.0.0.1:5000/library/busybox:1.35" }] },
        };
        await client.CoreV1.CreateNamespacedPodAsync(Pod("unscheduled", null), "default");
        await client.CoreV1.CreateNamespacedPodAsync(Pod("bound", "node-1"), "default");

        var gone = await client.CoreV1.DeleteNamespacedPodAsync("unscheduled", "default");
        var marked = await client.CoreV1.DeleteNamespacedPodAsync("bound", "default");
        var stillThere = await client.CoreV1.ReadNamespacedPodAsync("bound", "default");
        await client.CoreV1.DeleteNamespacedPodAsync("bound", "default", gracePeriodSeconds: 0);

        Assert.Equal("unscheduled", gone.Metadata.Name);
        Assert.Equal(30, marked.Metadata.DeletionGracePeriodSeconds);
        Assert.NotNull(stillThere.Metadata.DeletionTimestamp);
        var list = await client.CoreV1.ListNamespacedPodAsync("default");
        Assert.DoesNotContain(list.Items, p => p.Metadata.Name is "bound" or "unscheduled");
    }

    [SkippableFact]
    public async Task An_update_leaves_unset_immutable_metadata_absent_rather_than_null()
    {
        using var client = server.Client();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("no-nulls", "1"), "default");
        created.Data["key"] = "2";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "no-nulls", "default");
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), "no-nulls", "default");

        var raw = await client.HttpClient.GetStringAsync(new Uri(client.BaseUri, "api/v1/namespaces/default/configmaps/no-nulls"));
        await client.CoreV1.DeleteNamespacedConfigMapAsync("no-nulls", "default");

        Assert.DoesNotContain("deletionTimestamp", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("deletionGracePeriodSeconds", raw, StringComparison.Ordinal);
        Assert.DoesNotMatch(@":\s*null\b", raw);
    }

    [SkippableFact]
    public async Task A_stale_resource_version_is_a_409_Conflict()
    {
        using var client = server.Client();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("stale", "1"), "default");
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("stale", "2").WithResourceVersion(created.Metadata.ResourceVersion), "stale", "default");

        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() =>
            client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("stale", "3").WithResourceVersion(created.Metadata.ResourceVersion), "stale", "default"));

        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        using var status = JsonDocument.Parse(conflict.Response.Content);
        Assert.Equal("Conflict", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
    }

    [SkippableFact]
    public async Task A_watch_resumed_from_a_resource_version_sees_later_changes_in_order()
    {
        using var client = server.Client();
        var first = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("w1", "1"), "default");
        var second = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("w2", "1"), "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("w1", "default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var seen = new List<(WatchEventType Type, string Name)>();
        await foreach (var (type, item) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: first.Metadata.ResourceVersion, cancellationToken: cts.Token))
        {
            seen.Add((type, item.Metadata.Name));
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([(WatchEventType.Added, "w2"), (WatchEventType.Deleted, "w1")], seen);
        Assert.NotNull(second.Metadata.ResourceVersion);
    }

    [SkippableTheory]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", "{not json", "application/json", 400, "BadRequest")]
    [InlineData("POST", "/api/v1/namespaces/default/configmaps", "{}", "text/plain", 415, "UnsupportedMediaType")]
    [InlineData("GET", "/api/v1/namespaces/default/widgets", "", "", 404, "NotFound")]
    [InlineData("DELETE", "/api/v1/namespaces", "", "", 405, "MethodNotAllowed")]
    [InlineData("DELETE", "/api/v1/namespaces/default/configmaps?fieldSelector=spec.x%3D1", "", "", 400, "BadRequest")]
    [InlineData("GET", "/apis/apps/v9/deployments", "", "", 404, "NotFound")]
    public async Task Bad_requests_get_a_Status_with_the_upstream_code(string method, string path, string body, string contentType, int code, string reason)
    {
        using var http = server.Http();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var response = await http.SendAsync(request);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(code, (int)response.StatusCode);
        Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
        Assert.Equal(reason, status.RootElement.GetProperty("reason").GetString());
        Assert.Equal(code, status.RootElement.GetProperty("code").GetInt32());
    }

    [SkippableFact]
    public async Task A_body_over_three_mebibytes_is_413_and_nothing_is_written()
    {
        using var http = server.Http();
        var big = "{\"metadata\":{\"name\":\"huge\"},\"data\":{\"k\":\"" + new string('x', 3 * 1024 * 1024) + "\"}}";

        using var response = await http.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent(big, Encoding.UTF8, "application/json"));
        using var get = await http.GetAsync("/api/v1/namespaces/default/configmaps/huge");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [SkippableFact]
    public async Task Metrics_count_requests_with_upstreams_names_and_labels()
    {
        using var http = server.Http();
        using (var created = await http.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent("""{"metadata":{"name":"metered"}}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var metrics = await http.GetStringAsync("/metrics");

        Assert.Contains("apiserver_request_total{verb=\"POST\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"namespace\",component=\"apiserver\",code=\"201\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_duration_seconds_bucket{verb=\"POST\"", metrics, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Metrics_count_the_stored_objects_of_each_stored_resource()
    {
        using var http = server.Http();

        // Counted from storage when the server starts (then every minute, as upstream): the four namespaces and two
        // priority classes it creates are there by then; review kinds store nothing and have no line.
        var metrics = await http.GetStringAsync("/metrics");
        string[] counted = ["namespaces", "priorityclasses.scheduling.k8s.io", "deployments.apps"];
        for (var attempt = 0; attempt < 100 && !counted.All(r => metrics.Contains($"apiserver_storage_objects{{resource=\"{r}\"}}", StringComparison.Ordinal)); attempt++)
        {
            // The first count runs beside the server's start; it is done within moments.
            await Task.Delay(100);
            metrics = await http.GetStringAsync("/metrics");
        }

        double Count(string resource) =>
            metrics.Split('\n').FirstOrDefault(l => l.StartsWith($"apiserver_storage_objects{{resource=\"{resource}\"}} ", StringComparison.Ordinal)) is { } line
                ? double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
                : throw new Xunit.Sdk.XunitException($"no apiserver_storage_objects line for {resource} in:\n{metrics}");

        Assert.True(Count("namespaces") >= 4, metrics);
        Assert.True(Count("priorityclasses.scheduling.k8s.io") >= 2, metrics);
        Assert.True(Count("deployments.apps") >= 0, metrics);
        Assert.DoesNotContain("apiserver_storage_objects{resource=\"tokenreviews.authentication.k8s.io\"}", metrics, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Aggregated_discovery_is_served_when_asked_for()
    {
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/apis");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");

        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("APIGroupDiscoveryList", doc.RootElement.GetProperty("kind").GetString());
        var apps = doc.RootElement.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("metadata").GetProperty("name").GetString() == "apps");
        var deployments = apps.GetProperty("versions")[0].GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("resource").GetString() == "deployments");
        var scale = deployments.GetProperty("subresources").EnumerateArray().Single(s => s.GetProperty("subresource").GetString() == "scale");
        Assert.Equal("autoscaling", scale.GetProperty("responseKind").GetProperty("group").GetString());
    }

    [SkippableFact]
    public async Task A_watch_that_times_out_ends_with_a_bookmark_of_the_newest_version_it_covered()
    {
        using var client = server.Client();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("bookmarked", "1"), "default");
        using var http = server.Http();

        var body = await http.GetStringAsync($"/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion={created.Metadata.ResourceVersion}");

        var last = JsonDocument.Parse(body.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal("BOOKMARK", last.GetProperty("type").GetString());
        Assert.Equal("ConfigMap", last.GetProperty("object").GetProperty("kind").GetString());
        var bookmark = long.Parse(last.GetProperty("object").GetProperty("metadata").GetProperty("resourceVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(bookmark >= long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture));
    }

    [SkippableFact]
    public async Task A_watch_older_than_the_cache_window_and_compacted_gets_an_ERROR_event_with_410()
    {
        // Limit ranges are touched by no other test here: their cache is made by the watch below, after
        // the version it asks for, so only the store's (compacted) history could serve it.
        using var client = server.Client();
        var old = await client.CoreV1.CreateNamespacedLimitRangeAsync(new V1LimitRange { Metadata = new V1ObjectMeta { Name = "compacted" } }, "default");
        await client.CoreV1.DeleteNamespacedLimitRangeAsync("compacted", "default");
        await server.Store.CompactAsync(await server.Store.GetCurrentRevisionAsync());
        using var http = server.Http();

        var body = await http.GetStringAsync($"/api/v1/namespaces/default/limitranges?watch=true&resourceVersion={old.Metadata.ResourceVersion}");

        using var e = JsonDocument.Parse(body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single());
        Assert.Equal("ERROR", e.RootElement.GetProperty("type").GetString());
        Assert.Equal(410, e.RootElement.GetProperty("object").GetProperty("code").GetInt32());
        Assert.Equal("Expired", e.RootElement.GetProperty("object").GetProperty("reason").GetString());
    }

    [SkippableFact]
    public async Task An_object_deleted_between_two_compactions_stays_deleted_for_get_and_both_lists()
    {
        // The rig's 300 lost pods: an object whose last write lay before one compaction and whose delete lay after it
        // came back in the SQLite file once the next compaction passed the delete. The watch cache had seen the delete,
        // so an unpaged list left it out while GET and a paged list (read from the store) showed it, and DELETE said NotFound.
        using var client = server.Client();
        using var http = server.Http();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("between-compactions", "1"), "default");
        var first = await server.Store.GetCurrentRevisionAsync();
        await server.Store.CompactAsync(first);
        await server.CompactionFinishedAsync(first);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("between-compactions", "default");
        var second = await server.Store.GetCurrentRevisionAsync();
        await server.Store.CompactAsync(second);
        await server.CompactionFinishedAsync(second);

        using var get = await http.GetAsync("/api/v1/namespaces/default/configmaps/between-compactions");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        foreach (var list in new[] { "/api/v1/namespaces/default/configmaps?limit=500", "/api/v1/namespaces/default/configmaps" })
        {
            using var page = JsonDocument.Parse(await http.GetStringAsync(list));
            Assert.DoesNotContain("between-compactions", page.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()));
        }

        using var delete = await http.DeleteAsync("/api/v1/namespaces/default/configmaps/between-compactions");
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [SkippableFact]
    public async Task A_watch_within_the_cache_window_is_served_even_after_the_store_compacted()
    {
        using var client = server.Client();
        using var http = server.Http();
        // A list makes sure the cache of config maps exists before the version below.
        await http.GetStringAsync("/api/v1/namespaces/default/configmaps");
        var old = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("window", "1"), "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("window", "default");
        await server.Store.CompactAsync(await server.Store.GetCurrentRevisionAsync());

        var body = await http.GetStringAsync($"/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dwindow&resourceVersion={old.Metadata.ResourceVersion}");

        using var e = JsonDocument.Parse(body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single());
        Assert.Equal("DELETED", e.RootElement.GetProperty("type").GetString());
        Assert.Equal("window", e.RootElement.GetProperty("object").GetProperty("metadata").GetProperty("name").GetString());
    }
}

internal static class ConfigMapExtensions
{
    public static V1ConfigMap WithResourceVersion(this V1ConfigMap cm, string rv)
    {
        cm.Metadata.ResourceVersion = rv;
        return cm;
    }
}

public sealed class ClientTestsOnSqlite(SqliteApiServerFixture server) : ClientTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class ClientTestsOnEtcd(EtcdApiServerFixture server) : ClientTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
