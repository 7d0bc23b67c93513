using System.Net;
using System.Text;
using System.Text.Json;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage.Etcd;
using Kubesharp.Storage.Memory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>LIST and WATCH from the watch cache: versions, consistency, bookmarks, initial events.</summary>
public abstract class WatchCacheTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    protected TFixture Server => server;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    protected static async Task<string> CreateConfigMapAsync(HttpClient http, string ns, string name, string labels = "{}")
    {
        using var response = await http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Json($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"data":{"a":"1"}}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
    }

    [SkippableFact]
    public async Task A_list_right_after_a_write_sees_it()
    {
        using var http = server.Http();
        await http.GetStringAsync("/api/v1/namespaces/default/configmaps");
        for (var i = 0; i < 20; i++)
        {
            var rv = await CreateConfigMapAsync(http, "default", $"consistent-{i}");

            using var list = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps"));

            Assert.Contains(list.RootElement.GetProperty("items").EnumerateArray(), item => item.GetProperty("metadata").GetProperty("name").GetString() == $"consistent-{i}");
            Assert.True(long.Parse(list.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= long.Parse(rv, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [SkippableFact]
    public async Task A_list_at_version_0_ignores_the_limit_as_upstream_cache_does()
    {
        using var http = server.Http();
        await CreateConfigMapAsync(http, "kube-public", "rv0-a");
        await CreateConfigMapAsync(http, "kube-public", "rv0-b");
        // Version 0 means "any state": a consistent list first makes sure the cache has both.
        await http.GetStringAsync("/api/v1/namespaces/kube-public/configmaps");

        using var list = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/kube-public/configmaps?resourceVersion=0&limit=1"));

        var names = list.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()).ToList();
        Assert.Contains("rv0-a", names);
        Assert.Contains("rv0-b", names);
        Assert.False(list.RootElement.GetProperty("metadata").TryGetProperty("continue", out _));
    }

    [SkippableFact]
    public async Task A_list_with_a_limit_and_no_version_is_paged_by_the_store()
    {
        using var http = server.Http();
        await CreateConfigMapAsync(http, "kube-node-lease", "paged-a");
        await CreateConfigMapAsync(http, "kube-node-lease", "paged-b");

        using var list = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/kube-node-lease/configmaps?limit=1"));

        Assert.Single(list.RootElement.GetProperty("items").EnumerateArray());
        Assert.True(list.RootElement.GetProperty("metadata").TryGetProperty("continue", out _));
    }

    [SkippableFact]
    public async Task Concurrent_patches_that_start_from_the_cache_lose_no_write()
    {
        using var http = server.Http();
        await http.GetStringAsync("/api/v1/namespaces/default/configmaps");
        await CreateConfigMapAsync(http, "default", "concurrent");

        await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            using var patch = new StringContent($$$"""{"data":{"k{{{i}}}":"v"}}""", Encoding.UTF8, "application/merge-patch+json");
            using var response = await http.PatchAsync("/api/v1/namespaces/default/configmaps/concurrent", patch);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }));

        using var read = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps/concurrent"));
        var data = read.RootElement.GetProperty("data");
        Assert.All(Enumerable.Range(0, 24), i => Assert.Equal("v", data.GetProperty($"k{i}").GetString()));
    }

    [SkippableFact]
    public async Task A_version_ahead_of_the_cache_is_a_504_Too_large_resource_version()
    {
        using var http = server.Http();

        using var response = await http.GetAsync("/api/v1/namespaces/default/configmaps?resourceVersion=999999999&resourceVersionMatch=NotOlderThan");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Timeout", status.RootElement.GetProperty("reason").GetString());
        Assert.StartsWith("Too large resource version: 999999999", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("resourceVersionMatch=NotOlderThan", "resourceVersionMatch is forbidden unless resourceVersion is provided")]
    [InlineData("resourceVersionMatch=Exact&resourceVersion=0", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")]
    [InlineData("resourceVersionMatch=Newest&resourceVersion=1", "Unsupported value: \"Newest\"")]
    public async Task Invalid_list_options_are_422_on_ListOptions(string query, string message)
    {
        using var http = server.Http();

        using var response = await http.GetAsync($"/api/v1/namespaces/default/configmaps?{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ListOptions", status.RootElement.GetProperty("details").GetProperty("kind").GetString());
        Assert.Contains(message, status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_watch_with_sendInitialEvents_ends_the_initial_state_with_an_annotated_bookmark()
    {
        using var http = server.Http();
        await CreateConfigMapAsync(http, "default", "initial-a", """{"initial":"yes"}""");
        await CreateConfigMapAsync(http, "default", "initial-b", """{"initial":"yes"}""");

        var body = await http.GetStringAsync("/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=initial%3Dyes&timeoutSeconds=1");

        var events = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], events.Take(3).Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("true", events[2].GetProperty("object").GetProperty("metadata").GetProperty("annotations").GetProperty("k8s.io/initial-events-end").GetString());
    }

    [SkippableFact]
    public async Task A_namespaced_watch_sees_only_its_namespace_and_a_selector_sees_transitions()
    {
        using var http = server.Http();
        var rv = await CreateConfigMapAsync(http, "kube-system", "transition", """{"phase":"one"}""");
        await CreateConfigMapAsync(http, "default", "transition-other", """{"phase":"one"}""");
        var watch = http.GetStringAsync($"/api/v1/namespaces/kube-system/configmaps?watch=true&labelSelector=phase%3Done&timeoutSeconds=2&resourceVersion={rv}");
        using (var patch = new StringContent("""{"metadata":{"labels":{"phase":"two"}}}""", Encoding.UTF8, "application/merge-patch+json"))
        {
            (await http.PatchAsync("/api/v1/namespaces/kube-system/configmaps/transition", patch)).EnsureSuccessStatusCode();
        }

        var events = (await watch).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        var only = Assert.Single(events);
        Assert.Equal("DELETED", only.GetProperty("type").GetString());
        Assert.Equal("transition", only.GetProperty("object").GetProperty("metadata").GetProperty("name").GetString());
    }
}

public sealed class WatchCacheTestsOnSqlite(SqliteApiServerFixture server) : WatchCacheTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class WatchCacheTestsOnEtcd(EtcdApiServerFixture fixture) : WatchCacheTests<EtcdApiServerFixture>(fixture), IClassFixture<EtcdApiServerFixture>
{
    [SkippableFact]
    public async Task Two_API_servers_on_one_etcd_each_see_the_other_writes_through_their_cache()
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-second-").FullName;
        await using var store = new EtcdStore(new EtcdStoreOptions { Endpoints = Server.EtcdEndpoint });
        await using var second = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = 0, RequireServiceAccounts = false }, store, NullLoggerFactory.Instance);
        await second.StartAsync(CancellationToken.None);
        try
        {
            using var first = Server.Http();
            using var other = ApiServerFixture.HttpFor(second);
            var listed = JsonDocument.Parse(await other.GetStringAsync("/api/v1/namespaces/default/configmaps")).RootElement;
            var rv = listed.GetProperty("metadata").GetProperty("resourceVersion").GetString();
            var watch = other.GetStringAsync($"/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dshared&timeoutSeconds=3&resourceVersion={rv}");

            await CreateConfigMapAsync(first, "default", "shared");
            using var list = JsonDocument.Parse(await other.GetStringAsync("/api/v1/namespaces/default/configmaps"));

            Assert.Contains(list.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("metadata").GetProperty("name").GetString() == "shared");
            var events = (await watch).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal("ADDED", Assert.Single(events).GetProperty("type").GetString());
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>Periodic bookmarks, on a server with a short bookmark interval over the memory store.</summary>
public sealed class WatchBookmarkTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-bookmarks-").FullName;
    private readonly MemoryStore _store = new();
    private ApiServerHost? _host;

    public async Task InitializeAsync()
    {
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false, BookmarkInterval = TimeSpan.FromMilliseconds(300) }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _host!.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_quiet_watch_that_allows_bookmarks_gets_them_periodically_with_the_current_version()
    {
        using var http = ApiServerFixture.HttpFor(_host!);
        var listed = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces"));
        var rv = long.Parse(listed.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        var body = await http.GetStringAsync($"/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion={rv}");

        var events = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(events.Count >= 2, body);
        Assert.All(events, e => Assert.Equal("BOOKMARK", e.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal(rv, long.Parse(e.GetProperty("object").GetProperty("metadata").GetProperty("resourceVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
    }
}
