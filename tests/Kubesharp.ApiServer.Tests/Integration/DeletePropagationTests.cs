using System.Net;
using System.Text;
using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>
/// DeleteOptions.propagationPolicy (and the deprecated orphanDependents) as upstream's generic registry reads
/// them: Foreground and Orphan leave the object marked with the garbage collector's finalizer, Background
/// deletes it at once; without a policy the kind's default applies (orphan for core/v1 ReplicationControllers).
/// </summary>
public abstract class DeletePropagationTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string ConfigMap(string name) => $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""";

    private static async Task<(HttpStatusCode Code, JsonDocument Body)> DeleteAsync(HttpClient http, string path, string? options = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        if (options is not null)
        {
            request.Content = Json(options);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static string[] Finalizers(JsonDocument obj) =>
        obj.RootElement.GetProperty("metadata").TryGetProperty("finalizers", out var f) ? [.. f.EnumerateArray().Select(e => e.GetString()!)] : [];

    [SkippableTheory]
    [InlineData("Foreground", """{"propagationPolicy":"Foreground"}""", "foregroundDeletion")]
    [InlineData("Orphan", """{"propagationPolicy":"Orphan"}""", "orphan")]
    [InlineData("OrphanDeprecated", """{"orphanDependents":true}""", "orphan")]
    public async Task A_policy_that_waits_marks_the_object_with_its_finalizer(string name, string options, string finalizer)
    {
        using var http = server.Http();
        var cm = "prop-" + name.ToLowerInvariant();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap(cm)))).EnsureSuccessStatusCode();

        var (code, body) = await DeleteAsync(http, $"/api/v1/namespaces/default/configmaps/{cm}", options);
        using var read = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/namespaces/default/configmaps/{cm}"));

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("ConfigMap", body.RootElement.GetProperty("kind").GetString());
        Assert.Equal([finalizer], Finalizers(read));
        Assert.True(read.RootElement.GetProperty("metadata").TryGetProperty("deletionTimestamp", out _));
        body.Dispose();
    }

    [SkippableFact]
    public async Task Background_and_no_policy_delete_at_once_and_the_query_parameter_counts_too()
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("prop-background")))).EnsureSuccessStatusCode();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("prop-none")))).EnsureSuccessStatusCode();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("prop-query")))).EnsureSuccessStatusCode();

        var (background, _) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-background", """{"propagationPolicy":"Background"}""");
        var (none, _) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-none");
        var (query, _) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-query?propagationPolicy=Foreground");
        using var queried = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps/prop-query"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (background, none, query));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/namespaces/default/configmaps/prop-background")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/namespaces/default/configmaps/prop-none")).StatusCode);
        Assert.Equal(["foregroundDeletion"], Finalizers(queried));
    }

    [SkippableFact]
    public async Task A_later_delete_switches_the_policy_and_background_then_lets_the_object_go()
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("prop-switch")))).EnsureSuccessStatusCode();

        await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-switch", """{"propagationPolicy":"Foreground"}""");
        var (_, orphaned) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-switch", """{"propagationPolicy":"Orphan"}""");
        var (code, _) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-switch", """{"propagationPolicy":"Background"}""");

        Assert.Equal(["orphan"], Finalizers(orphaned));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/namespaces/default/configmaps/prop-switch")).StatusCode);
        orphaned.Dispose();
    }

    [SkippableFact]
    public async Task Other_finalizers_are_kept_and_orphanDependents_false_answers_202()
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"prop-kept","finalizers":["example.com/hold"]}}"""))).EnsureSuccessStatusCode();

        var (code, body) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-kept", """{"orphanDependents":false}""");

        // Upstream's shouldDeleteDependents: an explicit orphanDependents, even false, is not a foreground delete.
        Assert.Equal(HttpStatusCode.Accepted, code);
        Assert.Equal(["example.com/hold"], Finalizers(body));
        body.Dispose();
        using var release = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/prop-kept")
        {
            Content = new StringContent("""{"metadata":{"finalizers":null}}""", Encoding.UTF8, "application/merge-patch+json"),
        };
        (await http.SendAsync(release)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/namespaces/default/configmaps/prop-kept")).StatusCode);
    }

    [SkippableFact]
    public async Task A_v1_replication_controller_orphans_by_default()
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces/default/replicationcontrollers", Json("""
            {"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"prop-rc"},
             "spec":{"replicas":0,"selector":{"app":"prop-rc"},"template":{"metadata":{"labels":{"app":"prop-rc"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """))).EnsureSuccessStatusCode();

        var (code, body) = await DeleteAsync(http, "/api/v1/namespaces/default/replicationcontrollers/prop-rc");

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(["orphan"], Finalizers(body));
        body.Dispose();
    }

    [SkippableTheory]
    [InlineData("unsupported", """{"propagationPolicy":"Sideways"}""", "Unsupported value: \"Sideways\"")]
    [InlineData("both", """{"propagationPolicy":"Orphan","orphanDependents":true}""", "orphanDependents and deletionPropagation cannot be both set")]
    public async Task Invalid_options_are_422(string name, string options, string message)
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap("prop-invalid-" + name)))).EnsureSuccessStatusCode();

        var (code, body) = await DeleteAsync(http, "/api/v1/namespaces/default/configmaps/prop-invalid-" + name, options);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Contains(message, body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("DeleteOptions.meta.k8s.io \"\" is invalid", body.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        body.Dispose();
    }
}

public sealed class DeletePropagationTestsOnSqlite(SqliteApiServerFixture server) : DeletePropagationTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;
