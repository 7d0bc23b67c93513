using System.Net;
using System.Text;
using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>Raw HTTP: the fieldValidation directive, YAML bodies, and the OpenAPI v3 endpoints.</summary>
public abstract partial class ClientTests<TFixture>
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    private static StringContent Body(string text, string contentType = "application/json") => new(text, Encoding.UTF8, contentType);

    private static string[] Warnings(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Warning", out var values) ? [.. values] : [];

    private static async Task<JsonElement> ReadAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [SkippableFact]
    public async Task Without_a_directive_unknown_and_repeated_fields_are_warnings_and_the_object_is_decoded_as_upstream()
    {
        using var http = server.Http();

        using var response = await http.PostAsync(ConfigMaps, Body("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-first","name":"fv-warn","bogus":1},"data":{"k":"v"},"spec":{"x":1}}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["299 - \"duplicate field \\\"metadata.name\\\"\"", "299 - \"unknown field \\\"metadata.bogus\\\"\"", "299 - \"unknown field \\\"spec\\\"\""], Warnings(response));
        var stored = await ReadAsync(http, ConfigMaps + "/fv-warn");
        Assert.False(stored.TryGetProperty("spec", out _));
        Assert.False(stored.GetProperty("metadata").TryGetProperty("bogus", out _));
        Assert.Equal("v", stored.GetProperty("data").GetProperty("k").GetString());
    }

    [SkippableFact]
    public async Task Strict_refuses_the_body_with_upstreams_status_and_Ignore_drops_silently()
    {
        using var http = server.Http();
        const string body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-strict"},"data":{"k":"v","k":"w"},"spec":{}}""";

        using var strict = await http.PostAsync(ConfigMaps + "?fieldValidation=Strict", Body(body));
        using var ignore = await http.PostAsync(ConfigMaps + "?fieldValidation=Ignore", Body(body));
        using var bogus = await http.PostAsync(ConfigMaps + "?fieldValidation=Loud", Body(body));

        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        using var status = JsonDocument.Parse(await strict.Content.ReadAsStringAsync());
        Assert.Equal("BadRequest", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"data.k\", unknown field \"spec\"", status.RootElement.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.Created, ignore.StatusCode);
        Assert.Empty(Warnings(ignore));
        Assert.Equal("w", (await ReadAsync(http, ConfigMaps + "/fv-strict")).GetProperty("data").GetProperty("k").GetString());
        Assert.Equal((HttpStatusCode)422, bogus.StatusCode);
        using var invalid = JsonDocument.Parse(await bogus.Content.ReadAsStringAsync());
        Assert.Contains("fieldValidation: Unsupported value: \"Loud\"", invalid.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Updates_and_patches_check_the_object_they_would_store()
    {
        using var http = server.Http();
        using (var created = await http.PostAsync(ConfigMaps, Body("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-update"},"data":{"k":"v"}}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var put = await http.PutAsync(ConfigMaps + "/fv-update?fieldValidation=Strict", Body("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-update"},"data":{"k":"v"},"extra":true}"""));
        using var strictPatch = await http.PatchAsync(ConfigMaps + "/fv-update?fieldValidation=Strict", Body("""{"extra":true}""", "application/merge-patch+json"));
        using var warnPatch = await http.PatchAsync(ConfigMaps + "/fv-update", Body("""{"extra":true,"data":{"k":"x","k":"y"}}""", "application/merge-patch+json"));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        using (var putStatus = JsonDocument.Parse(await put.Content.ReadAsStringAsync()))
        {
            Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"extra\"", putStatus.RootElement.GetProperty("message").GetString());
        }

        Assert.Equal((HttpStatusCode)422, strictPatch.StatusCode);
        using var status = JsonDocument.Parse(await strictPatch.Content.ReadAsStringAsync());
        Assert.EndsWith(": strict decoding error: unknown field \"extra\"", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("patch", status.RootElement.GetProperty("details").GetProperty("causes")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, warnPatch.StatusCode);
        Assert.Equal(["299 - \"duplicate field \\\"data.k\\\"\"", "299 - \"unknown field \\\"extra\\\"\""], Warnings(warnPatch));
        var stored = await ReadAsync(http, ConfigMaps + "/fv-update");
        Assert.Equal("y", stored.GetProperty("data").GetProperty("k").GetString());
        Assert.False(stored.TryGetProperty("extra", out _));
    }

    [SkippableFact]
    public async Task Yaml_bodies_are_created_and_their_repeated_keys_reported_by_line()
    {
        using var http = server.Http();
        const string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fv-yaml\n  labels:\n    enabled: \"yes\"\ndata:\n  k: v\n  k: w\n";

        using var created = await http.PostAsync(ConfigMaps, Body(yaml, "application/yaml"));
        using var malformed = await http.PostAsync(ConfigMaps, Body("metadata:\n  name: a\n bad: [\n", "application/yaml"));
        using var apply = await http.PatchAsync(ConfigMaps + "/fv-yaml", Body("metadata:\n  name: fv-yaml\n", "application/apply-patch+yaml"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["299 - \"line 9: key \\\"k\\\" already set in map\""], Warnings(created));
        var stored = await ReadAsync(http, ConfigMaps + "/fv-yaml");
        Assert.Equal("w", stored.GetProperty("data").GetProperty("k").GetString());
        Assert.Equal("yes", stored.GetProperty("metadata").GetProperty("labels").GetProperty("enabled").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("error converting YAML to JSON: yaml: line 3", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, apply.StatusCode);
    }

    [SkippableFact]
    public async Task OpenApi_v3_serves_an_index_and_documents_by_hash()
    {
        using var http = server.Http();

        var index = await ReadAsync(http, "/openapi/v3");
        var url = index.GetProperty("paths").GetProperty("apis/apps/v1").GetProperty("serverRelativeURL").GetString()!;
        using var current = await http.GetAsync(url);
        var etag = current.Headers.ETag!.Tag;
        using var stale = await http.GetAsync("/openapi/v3/apis/apps/v1?hash=0123");
        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var unchanged = await http.SendAsync(conditional);
        using var missing = await http.GetAsync("/openapi/v3/apis/nothing.example.com/v1");

        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal($"\"{url[(url.IndexOf("hash=", StringComparison.Ordinal) + 5)..]}\"", etag);
        Assert.True(current.Headers.CacheControl!.Public);
        var document = JsonDocument.Parse(await current.Content.ReadAsStringAsync()).RootElement;
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("io.k8s.api.apps.v1.Deployment", out _));
        // A stale hash is redirected to the current document, which the client follows.
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(url, stale.RequestMessage!.RequestUri!.PathAndQuery);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
