using System.Net;
using System.Text;
using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>Values of the wrong JSON type are refused as upstream's typed decoder refuses them, whatever fieldValidation says.</summary>
public abstract class DecodingTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    [SkippableTheory]
    [InlineData("")]
    [InlineData("?fieldValidation=Ignore")]
    public async Task A_boolean_label_is_a_400_and_nothing_is_stored(string query)
    {
        using var http = server.Http();
        using var body = new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"typed-label","labels":{"enabled":true}}}""", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync($"/api/v1/namespaces/default/configmaps{query}", body);
        using var read = await http.GetAsync("/api/v1/namespaces/default/configmaps/typed-label");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string",
            status.RootElement.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [SkippableFact]
    public async Task A_patch_that_makes_replicas_a_string_is_refused()
    {
        using var http = server.Http();
        using (var create = new StringContent("""{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"typed-rc"},"spec":{"replicas":1,"selector":{"app":"t"},"template":{"metadata":{"labels":{"app":"t"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""", Encoding.UTF8, "application/json"))
        {
            (await http.PostAsync("/api/v1/namespaces/default/replicationcontrollers", create)).EnsureSuccessStatusCode();
        }

        using var patch = new StringContent("""{"spec":{"replicas":"three"}}""", Encoding.UTF8, "application/merge-patch+json");
        using var response = await http.PatchAsync("/api/v1/namespaces/default/replicationcontrollers/typed-rc", patch);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("json: cannot unmarshal string into Go struct field ReplicationControllerSpec.spec.replicas of type int32", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

public sealed class DecodingTestsOnSqlite(SqliteApiServerFixture server) : DecodingTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class DecodingTestsOnEtcd(EtcdApiServerFixture server) : DecodingTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
