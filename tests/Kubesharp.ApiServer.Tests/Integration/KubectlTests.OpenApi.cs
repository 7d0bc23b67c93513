using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>kubectl against the OpenAPI v3 documents and server-side field validation: explain, and the default --validate=strict.</summary>
public abstract partial class KubectlTests<TFixture>
{
    private const string PodWithTypo = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: NAME
          namespace: NS
        spec:
          containers:
          - name: c
            image: 127.0.0.1:5000/library/busybox:1.35
            imagePullPolcy: Always
        """;

    private static string WriteYaml(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-manifest-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, content);
        return path;
    }

    [SkippableFact]
    public async Task Explain_prints_a_fields_type_description_and_subfields()
    {
        var output = await OkAsync("explain", "pods.spec.containers");

        Assert.Contains("KIND:       Pod", output, StringComparison.Ordinal);
        Assert.Contains("VERSION:    v1", output, StringComparison.Ordinal);
        Assert.Contains("FIELD: containers <[]Container>", output, StringComparison.Ordinal);
        Assert.Contains("List of containers belonging to the pod.", output, StringComparison.Ordinal);
        Assert.Contains("  image\t<string>\n    Container image name.", output, StringComparison.Ordinal);
        Assert.Contains("  ports\t<[]ContainerPort>", output, StringComparison.Ordinal);
        Assert.DoesNotContain("<no description>", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Explain_recursive_walks_a_deployment_down_to_its_containers()
    {
        var output = await OkAsync("explain", "deployment", "--recursive");
        var lines = output.Split('\n');

        Assert.Contains("GROUP:      apps", lines);
        Assert.Contains("KIND:       Deployment", lines);
        Assert.Contains("  spec\t<DeploymentSpec>", lines);
        Assert.Contains("    replicas\t<integer>", lines);
        Assert.Contains("        maxSurge\t<IntOrString>", lines);
        Assert.Contains(lines, l => l.Trim() == "containers\t<[]Container> -required-" || l.Trim() == "containers\t<[]Container>");
        Assert.Contains(lines, l => l.Trim() == "limits\t<map[string]Quantity>");
    }

    [SkippableFact]
    public async Task Create_with_the_default_strict_validation_refuses_an_unknown_field_with_upstreams_message()
    {
        var ns = await NamespaceAsync("kubectl-strict");
        var path = WriteYaml(PodWithTypo.Replace("NAME", "typo", StringComparison.Ordinal).Replace("NS", ns, StringComparison.Ordinal));

        var (code, _, stderr) = await server.KubectlAsync("create", "-f", path);
        var get = await server.KubectlAsync("get", "pod", "typo", "-n", ns);

        Assert.NotEqual(0, code);
        Assert.Contains($"Error from server (BadRequest): error when creating \"{path}\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagePullPolcy\"", stderr, StringComparison.Ordinal);
        Assert.Contains("NotFound", get.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Good_manifests_create_and_apply_under_strict_validation()
    {
        var ns = await NamespaceAsync("kubectl-strict-ok");
        var path = WriteYaml(PodWithTypo.Replace("NAME", "fine", StringComparison.Ordinal).Replace("NS", ns, StringComparison.Ordinal).Replace("imagePullPolcy", "imagePullPolicy", StringComparison.Ordinal));
        var deployment = WriteYaml(Deployment.Replace("NS", ns, StringComparison.Ordinal));

        Assert.Contains("pod/fine created", await OkAsync("create", "-f", path, "--validate=strict"), StringComparison.Ordinal);
        Assert.Contains("deployment.apps/web created", await OkAsync("apply", "-f", deployment), StringComparison.Ordinal);
        var (code, _, stderr) = await server.KubectlAsync("apply", "-f", deployment);

        Assert.Equal(0, code);
        Assert.DoesNotContain("warning", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Always", await OkAsync("get", "pod", "fine", "-n", ns, "-o", "jsonpath={.spec.containers[0].imagePullPolicy}"));
    }

    [SkippableFact]
    public async Task Apply_of_an_unknown_field_fails_strict_and_warns_and_drops_it_with_validate_warn()
    {
        var ns = await NamespaceAsync("kubectl-strict-apply");
        var good = Deployment.Replace("NS", ns, StringComparison.Ordinal);
        var path = WriteYaml(good);
        await OkAsync("apply", "-f", path);
        File.WriteAllText(path, good.Replace("image: busybox:1.35", "image: busybox:1.35\n        foo: bar", StringComparison.Ordinal));

        var strict = await server.KubectlAsync("apply", "-f", path);
        var warn = await server.KubectlAsync("apply", "-f", path, "--validate=warn");

        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("strict decoding error: unknown field \"spec.template.spec.containers[1].foo\"", strict.Stderr, StringComparison.Ordinal);
        Assert.True(warn.ExitCode == 0, warn.Stderr);
        Assert.Contains("Warning: unknown field \"spec.template.spec.containers[1].foo\"", warn.Stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await OkAsync("get", "deployment", "web", "-n", ns, "-o", "json"));
        var side = doc.RootElement.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[1];
        Assert.False(side.TryGetProperty("foo", out _));
    }

    [SkippableFact]
    public async Task Validate_false_creates_the_object_without_its_unknown_field()
    {
        var ns = await NamespaceAsync("kubectl-validate-false");
        var path = WriteYaml(PodWithTypo.Replace("NAME", "ignored", StringComparison.Ordinal).Replace("NS", ns, StringComparison.Ordinal));

        var (code, stdout, stderr) = await server.KubectlAsync("create", "-f", path, "--validate=false");

        Assert.True(code == 0, stderr);
        Assert.Contains("pod/ignored created", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown field", stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await OkAsync("get", "pod", "ignored", "-n", ns, "-o", "json"));
        Assert.False(doc.RootElement.GetProperty("spec").GetProperty("containers")[0].TryGetProperty("imagePullPolcy", out _));
    }
}
