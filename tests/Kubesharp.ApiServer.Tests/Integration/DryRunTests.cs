using System.Net;
using System.Text;
using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary><c>dryRun=All</c> on every write: the request runs (defaulting, validation) and answers, and nothing is stored.</summary>
public abstract class DryRunTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private static StringContent Json(string json, string type = "application/json") => new(json, Encoding.UTF8, type);

    private const string ConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"},"data":{"a":"1"}}""";

    [SkippableFact]
    public async Task A_dry_run_create_answers_the_object_and_stores_nothing()
    {
        using var http = server.Http();

        using var created = await http.PostAsync("/api/v1/namespaces/default/configmaps?dryRun=All", Json(ConfigMap));
        using var read = await http.GetAsync("/api/v1/namespaces/default/configmaps/dry");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        Assert.Equal("dry", body.RootElement.GetProperty("metadata").GetProperty("name").GetString());
        Assert.True(body.RootElement.GetProperty("metadata").TryGetProperty("uid", out _));
        Assert.False(body.RootElement.GetProperty("metadata").TryGetProperty("resourceVersion", out _));
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [SkippableFact]
    public async Task Dry_run_update_patch_and_delete_change_nothing()
    {
        using var http = server.Http();
        (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(ConfigMap.Replace("\"dry\"", "\"dry-kept\"", StringComparison.Ordinal)))).EnsureSuccessStatusCode();

        using var put = await http.PutAsync("/api/v1/namespaces/default/configmaps/dry-kept?dryRun=All", Json(ConfigMap.Replace("\"dry\"", "\"dry-kept\"", StringComparison.Ordinal).Replace("\"1\"", "\"2\"", StringComparison.Ordinal)));
        using var patch = await http.PatchAsync("/api/v1/namespaces/default/configmaps/dry-kept?dryRun=All", Json("""{"data":{"a":"3"}}""", "application/merge-patch+json"));
        using var delete = await http.DeleteAsync("/api/v1/namespaces/default/configmaps/dry-kept?dryRun=All");
        using var bad = await http.DeleteAsync("/api/v1/namespaces/default/configmaps/dry-kept?dryRun=Some");
        using var read = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps/dry-kept"));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Contains("\"a\":\"2\"", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Contains("\"a\":\"3\"", await patch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal("1", read.RootElement.GetProperty("data").GetProperty("a").GetString());
    }

    [SkippableFact]
    public async Task Kubectl_apply_with_server_dry_run_writes_nothing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-dry-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, ConfigMap.Replace("\"dry\"", "\"dry-apply\"", StringComparison.Ordinal));
        try
        {
            var (code, stdout, stderr) = await server.KubectlAsync("apply", "-f", path, "-n", "default", "--dry-run=server");
            var (getCode, _, _) = await server.KubectlAsync("get", "configmap", "dry-apply", "-n", "default");

            Assert.True(code == 0, stderr);
            Assert.Contains("(server dry run)", stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, getCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task A_namespace_always_gets_the_kubernetes_finalizer()
    {
        using var http = server.Http();

        using var created = await http.PostAsync("/api/v1/namespaces", Json("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"finalized"},"spec":{}}"""));

        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        Assert.Equal(["kubernetes"], body.RootElement.GetProperty("spec").GetProperty("finalizers").EnumerateArray().Select(f => f.GetString()));
    }
}

public sealed class DryRunTestsOnSqlite(SqliteApiServerFixture server) : DryRunTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class DryRunTestsOnEtcd(EtcdApiServerFixture server) : DryRunTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
