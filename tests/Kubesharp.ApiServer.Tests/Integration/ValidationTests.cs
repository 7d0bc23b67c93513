using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>Upstream's validation as clients meet it on a real server: raw HTTP, the C# client and kubectl.</summary>
public abstract class ValidationTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private static string PodJson(string name, string resources) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.27\",\"resources\":" + resources + "}]}}";

    private static string WriteTemp(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-validation-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }

    private async Task<(HttpStatusCode Code, JsonElement Status)> PostAsync(string path, string body)
    {
        using var http = server.Http();
        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    [SkippableFact]
    public async Task A_malformed_quantity_is_refused_as_upstreams_decoding_refuses_it()
    {
        var (code, status) = await PostAsync("/api/v1/namespaces/default/pods", PodJson("bad-quantity", """{"limits":{"cpu":"one"}}"""));

        // Upstream decodes quantities before it validates: the answer is 400, not 422, and names the first bad one.
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("BadRequest", status.GetProperty("reason").GetString());
        Assert.Equal("Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", status.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task A_request_over_its_limit_is_422_with_every_cause()
    {
        var (code, status) = await PostAsync("/api/v1/namespaces/default/pods", PodJson("over-limit", """{"requests":{"cpu":"2","memory":"-1"},"limits":{"cpu":"1000m"}}"""));

        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Invalid", status.GetProperty("reason").GetString());
        Assert.Equal(422, status.GetProperty("code").GetInt32());
        Assert.Equal("over-limit", status.GetProperty("details").GetProperty("name").GetString());
        Assert.Equal("Pod", status.GetProperty("details").GetProperty("kind").GetString());
        var causes = status.GetProperty("details").GetProperty("causes").EnumerateArray()
            .Select(c => $"{c.GetProperty("reason").GetString()} {c.GetProperty("field").GetString()}: {c.GetProperty("message").GetString()}").ToList();
        Assert.Equal(
        [
            "FieldValueInvalid spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
            "FieldValueInvalid spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
        ], causes);
        Assert.Equal("Pod \"over-limit\" is invalid: [spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1, spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0]", status.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task A_pod_update_may_change_the_image_but_not_the_rest_of_the_spec()
    {
        using var client = server.Client();
        var pod = await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "immutable-spec" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx:1.27" }] },
        }, "default");

        pod.Spec.Containers[0].Image = "nginx:1.28";
        pod = await client.CoreV1.ReplaceNamespacedPodAsync(pod, "immutable-spec", "default");
        pod.Spec.RestartPolicy = "Never";
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedPodAsync(pod, "immutable-spec", "default"));

        Assert.Equal("nginx:1.28", (await client.CoreV1.ReadNamespacedPodAsync("immutable-spec", "default")).Spec.Containers[0].Image);
        Assert.Equal((HttpStatusCode)422, refused.Response.StatusCode);
        using var status = JsonDocument.Parse(refused.Response.Content);
        var cause = Assert.Single(status.RootElement.GetProperty("details").GetProperty("causes").EnumerateArray().ToList());
        Assert.Equal("FieldValueForbidden", cause.GetProperty("reason").GetString());
        Assert.Equal("spec", cause.GetProperty("field").GetString());
        Assert.StartsWith("Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)", cause.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Kubectl_shows_a_bad_label_with_upstreams_message()
    {
        var manifest = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad-label","namespace":"default","labels":{"tier":"front end"}},"data":{"k":"v"}}""";

        var (code, _, stderr) = await server.KubectlAsync("create", "-f", WriteTemp(manifest));

        Assert.NotEqual(0, code);
        Assert.Contains("The ConfigMap \"bad-label\" is invalid: metadata.labels: Invalid value: \"front end\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Kubectl_patch_of_a_deployment_selector_is_refused_as_immutable()
    {
        var deployment = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fixed-selector","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}}}""";
        var (created, _, createError) = await server.KubectlAsync("create", "-f", WriteTemp(deployment));
        Assert.True(created == 0, createError);

        var (code, _, stderr) = await server.KubectlAsync("patch", "deployment", "fixed-selector", "-n", "default", "--type=merge", "-p", """{"spec":{"selector":{"matchLabels":{"tier":"front"}}}}""");

        Assert.NotEqual(0, code);
        Assert.Contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"front\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable", stderr, StringComparison.Ordinal);
    }
}

public sealed class ValidationTestsOnSqlite(SqliteApiServerFixture server) : ValidationTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class ValidationTestsOnEtcd(EtcdApiServerFixture server) : ValidationTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
