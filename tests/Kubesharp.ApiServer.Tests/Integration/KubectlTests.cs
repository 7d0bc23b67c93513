using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>The real kubectl against a real server.</summary>
public abstract partial class KubectlTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    private static string Manifest(string name, string ns, string value) => $$$"""
        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"app":"web"}},"data":{"key":"{{{value}}}"}}
        """;

    private static string WriteTemp(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-manifest-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }

    [SkippableFact]
    public async Task Version_reports_a_semver_server_version()
    {
        var output = await OkAsync("version", "-o", "json");

        using var doc = JsonDocument.Parse(output);
        Assert.Equal("v1.32.0-kubesharp", doc.RootElement.GetProperty("serverVersion").GetProperty("gitVersion").GetString());
    }

    [SkippableFact]
    public async Task The_bootstrap_namespaces_exist()
    {
        var output = await OkAsync("get", "namespaces", "-o", "name");

        var names = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(["namespace/default", "namespace/kube-node-lease", "namespace/kube-public", "namespace/kube-system"], ns => Assert.Contains(ns, names));
    }

    [SkippableFact]
    public async Task Api_resources_lists_kinds_with_short_names_across_groups()
    {
        var output = await OkAsync("api-resources", "--no-headers");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();

        Assert.Contains(lines, l => l is ["pods", "po", "v1", "true", "Pod"]);
        Assert.Contains(lines, l => l is ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
        Assert.Contains(lines, l => l is ["namespaces", "ns", "v1", "false", "Namespace"]);
    }

    [SkippableFact]
    public async Task Create_get_replace_and_delete_a_configmap()
    {
        var ns = "kubectl-crud";
        await OkAsync("create", "namespace", ns, "--dry-run=client", "-o", "json");
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}"""));

        var created = await OkAsync("create", "-f", WriteTemp(Manifest("c1", ns, "one")));
        Assert.Contains("configmap/c1 created", created, StringComparison.Ordinal);

        using (var doc = JsonDocument.Parse(await OkAsync("get", "configmap", "c1", "-n", ns, "-o", "json")))
        {
            var meta = doc.RootElement.GetProperty("metadata");
            Assert.Equal("one", doc.RootElement.GetProperty("data").GetProperty("key").GetString());
            Assert.True(Guid.TryParse(meta.GetProperty("uid").GetString(), out _));
            Assert.Matches("^[0-9]+$", meta.GetProperty("resourceVersion").GetString());
            Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", meta.GetProperty("creationTimestamp").GetString());
        }

        await OkAsync("replace", "-f", WriteTemp(Manifest("c1", ns, "two")));
        Assert.Equal("two", await OkAsync("get", "configmap", "c1", "-n", ns, "-o", "jsonpath={.data.key}"));

        var deleted = await OkAsync("delete", "configmap", "c1", "-n", ns);
        Assert.Contains("configmap \"c1\" deleted", deleted, StringComparison.Ordinal);
        var (code, _, stderr) = await server.KubectlAsync("get", "configmap", "c1", "-n", ns);
        Assert.NotEqual(0, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Creating_twice_is_AlreadyExists_and_in_a_missing_namespace_is_NotFound()
    {
        var file = WriteTemp(Manifest("dup", "default", "x"));
        await OkAsync("create", "-f", file);

        var again = await server.KubectlAsync("create", "-f", file);
        var missing = await server.KubectlAsync("create", "-f", WriteTemp(Manifest("m", "no-such-namespace", "x")));

        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("AlreadyExists", again.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("namespaces \"no-such-namespace\" not found", missing.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Get_prints_the_servers_table_and_filters_by_label_and_field()
    {
        var ns = "kubectl-table";
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}"""));
        foreach (var (name, tier) in new[] { ("a", "front"), ("b", "back"), ("c", "front") })
        {
            await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"tier":"{{{tier}}}"}},"data":{"k1":"v","k2":"v"}}"""));
        }

        var table = await OkAsync("get", "configmaps", "-n", ns);
        var front = await OkAsync("get", "configmaps", "-n", ns, "-l", "tier=front", "-o", "name");
        var notFront = await OkAsync("get", "configmaps", "-n", ns, "-l", "tier!=front", "-o", "name");
        var byName = await OkAsync("get", "configmaps", "-n", ns, "--field-selector", "metadata.name=c", "-o", "name");
        var unsupported = await server.KubectlAsync("get", "configmaps", "-n", ns, "--field-selector", "spec.nodeName=x");

        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "DATA", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["a", "2"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..2]);
        Assert.Equal("configmap/a\nconfigmap/c\n", front);
        Assert.Equal("configmap/b\n", notFront);
        Assert.Equal("configmap/c\n", byName);
        Assert.NotEqual(0, unsupported.ExitCode);
        Assert.Contains("field label not supported: spec.nodeName", unsupported.Stderr, StringComparison.Ordinal);
    }

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: NS
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.25
                env:
                - {name: A, value: "1"}
                - {name: B, value: "1"}
              - name: side
                image: busybox:1.35
        """;

    private async Task<string> NamespaceAsync(string ns)
    {
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}"""));
        return ns;
    }

    [SkippableFact]
    public async Task Apply_twice_merges_containers_and_env_by_name_and_bumps_generation()
    {
        var ns = await NamespaceAsync("kubectl-apply");
        var path = Path.ChangeExtension(WriteTemp(Deployment.Replace("NS", ns, StringComparison.Ordinal)), ".yaml");
        File.WriteAllText(path, Deployment.Replace("NS", ns, StringComparison.Ordinal));

        Assert.Contains("deployment.apps/web created", await OkAsync("apply", "-f", path), StringComparison.Ordinal);
        File.WriteAllText(path, Deployment.Replace("NS", ns, StringComparison.Ordinal).Replace("nginx:1.25", "nginx:1.26", StringComparison.Ordinal).Replace("- {name: B, value: \"1\"}", "- {name: B, value: \"2\"}", StringComparison.Ordinal));
        Assert.Contains("deployment.apps/web configured", await OkAsync("apply", "-f", path), StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(await OkAsync("get", "deployment", "web", "-n", ns, "-o", "json"));
        var containers = doc.RootElement.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers");
        Assert.Equal(["web", "side"], containers.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("nginx:1.26", containers[0].GetProperty("image").GetString());
        Assert.Equal([("A", "1"), ("B", "2")], containers[0].GetProperty("env").EnumerateArray().Select(e => (e.GetProperty("name").GetString(), e.GetProperty("value").GetString())));
        Assert.Equal(2, doc.RootElement.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.True(doc.RootElement.GetProperty("metadata").GetProperty("annotations").TryGetProperty("kubectl.kubernetes.io/last-applied-configuration", out _));
    }

    [SkippableFact]
    public async Task Patch_of_every_type_label_annotate_and_scale()
    {
        var ns = await NamespaceAsync("kubectl-patch");
        var path = Path.ChangeExtension(WriteTemp(""), ".yaml");
        File.WriteAllText(path, Deployment.Replace("NS", ns, StringComparison.Ordinal));
        await OkAsync("create", "-f", path);

        await OkAsync("patch", "deployment", "web", "-n", ns, "--type=json", "-p", """[{"op":"replace","path":"/spec/replicas","value":3}]""");
        await OkAsync("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", """{"metadata":{"labels":{"merged":"yes"}}}""");
        await OkAsync("patch", "deployment", "web", "-n", ns, "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}""");
        await OkAsync("label", "deployment", "web", "-n", ns, "team=a");
        await OkAsync("annotate", "deployment", "web", "-n", ns, "note=hi");
        var patchedReplicas = await OkAsync("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}");
        Assert.Contains("scaled", await OkAsync("scale", "deployment", "web", "-n", ns, "--replicas=5"), StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(await OkAsync("get", "deployment", "web", "-n", ns, "-o", "json"));
        var meta = doc.RootElement.GetProperty("metadata");
        var containers = doc.RootElement.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers");
        Assert.Equal("3", patchedReplicas);
        Assert.Equal(5, doc.RootElement.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("yes", meta.GetProperty("labels").GetProperty("merged").GetString());
        Assert.Equal("a", meta.GetProperty("labels").GetProperty("team").GetString());
        Assert.Equal("hi", meta.GetProperty("annotations").GetProperty("note").GetString());
        Assert.Equal(["nginx:1.25", "busybox:1.36"], containers.EnumerateArray().Select(c => c.GetProperty("image").GetString()));
    }

    [SkippableFact]
    public async Task Edit_with_an_editor_script_patches_the_object()
    {
        var ns = await NamespaceAsync("kubectl-edit");
        await OkAsync("create", "-f", WriteTemp(Manifest("edited", ns, "before")));
        var editor = Path.Combine(Path.GetTempPath(), $"kubesharp-editor-{Guid.NewGuid():N}.sh");
        File.WriteAllText(editor, "#!/bin/sh\nsed -i 's/before/after/' \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var (code, stdout, stderr) = await server.KubectlWithEnvAsync(new Dictionary<string, string> { ["KUBE_EDITOR"] = editor }, "edit", "configmap", "edited", "-n", ns);

        Assert.True(code == 0, stderr);
        Assert.Contains("configmap/edited edited", stdout, StringComparison.Ordinal);
        Assert.Equal("after", await OkAsync("get", "configmap", "edited", "-n", ns, "-o", "jsonpath={.data.key}"));
    }

    [SkippableFact]
    public async Task A_new_pod_is_defaulted_and_listed_as_Pending()
    {
        var ns = await NamespaceAsync("kubectl-pods");
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","namespace":"{{{ns}}}"},"spec":{"containers":[{"name":"c","image":"127.0.0.1:5000/library/busybox:1.35"}]}}"""));

        var row = (await OkAsync("get", "pods", "-n", ns, "--no-headers")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var policy = await OkAsync("get", "pod", "p1", "-n", ns, "-o", "jsonpath={.spec.containers[0].imagePullPolicy} {.spec.restartPolicy} {.status.qosClass}");

        Assert.Equal(["p1", "0/1", "Pending", "0"], row[..4]);
        Assert.Equal("IfNotPresent Always BestEffort", policy);
    }

    [SkippableFact]
    public async Task Delete_all_with_a_selector_removes_only_the_matching_objects()
    {
        var ns = await NamespaceAsync("kubectl-deletecollection");
        foreach (var (name, tier) in new[] { ("a", "front"), ("b", "back"), ("c", "front") })
        {
            await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"labels":{"tier":"{{{tier}}}"},"name":"{{{name}}}","namespace":"{{{ns}}}"}}"""));
        }

        var deleted = await OkAsync("delete", "configmaps", "-n", ns, "-l", "tier=front");

        Assert.Contains("configmap \"a\" deleted", deleted, StringComparison.Ordinal);
        Assert.Contains("configmap \"c\" deleted", deleted, StringComparison.Ordinal);
        Assert.Equal("configmap/b\n", await OkAsync("get", "configmaps", "-n", ns, "-o", "name"));
    }

    [SkippableFact]
    public async Task A_deployment_whose_selector_misses_its_template_is_invalid()
    {
        var path = Path.ChangeExtension(WriteTemp(""), ".yaml");
        File.WriteAllText(path, Deployment.Replace("NS", "default", StringComparison.Ordinal).Replace("matchLabels: {app: web}", "matchLabels: {app: other}", StringComparison.Ordinal));

        var (code, _, stderr) = await server.KubectlAsync("create", "-f", path);

        Assert.NotEqual(0, code);
        Assert.Contains("is invalid", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.template.metadata.labels", stderr, StringComparison.Ordinal);
        Assert.Contains("`selector` does not match template `labels`", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_invalid_name_is_refused_with_the_field()
    {
        var (code, _, stderr) = await server.KubectlAsync("create", "-f", WriteTemp(Manifest("Bad_Name", "default", "x")));

        Assert.NotEqual(0, code);
        Assert.Contains("is invalid", stderr, StringComparison.Ordinal);
        Assert.Contains("metadata.name", stderr, StringComparison.Ordinal);
    }
}

public sealed class KubectlTestsOnSqlite(SqliteApiServerFixture server) : KubectlTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class KubectlTestsOnEtcd(EtcdApiServerFixture server) : KubectlTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
