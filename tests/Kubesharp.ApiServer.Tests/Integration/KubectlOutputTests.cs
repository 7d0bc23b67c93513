using System.Diagnostics;
using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>The real kubectl's output commands against a real server: -o forms, describe, get -w, delete --wait, cluster-info.</summary>
public abstract class KubectlOutputTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    private async Task ApplyAsync(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-manifest-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        try
        {
            await OkAsync("apply", "-f", path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // A manifest rather than `kubectl create namespace`, whose typed client sends protobuf.
    private Task NamespaceAsync(string name) =>
        ApplyAsync("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + name + "\"}}");

    private static string Pod(string name, string ns) => $$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"app":"out"}},
         "spec":{"containers":[{"name":"main","image":"busybox:1.35","command":["sleep","3600"]}]}}
        """;

    [SkippableFact]
    public async Task Get_prints_wide_yaml_json_and_jsonpath()
    {
        await NamespaceAsync("kubectl-output");
        await ApplyAsync(Pod("shown", "kubectl-output"));

        var wide = await OkAsync("get", "pod", "shown", "-n", "kubectl-output", "-o", "wide");
        var yaml = await OkAsync("get", "pod", "shown", "-n", "kubectl-output", "-o", "yaml");
        var json = await OkAsync("get", "pod", "shown", "-n", "kubectl-output", "-o", "json");
        var path = await OkAsync("get", "pods", "-n", "kubectl-output", "-o", "jsonpath={.items[*].spec.containers[0].image}");

        var header = wide.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"], header);
        Assert.Contains("shown", wide, StringComparison.Ordinal);
        Assert.Contains("Pending", wide, StringComparison.Ordinal);
        Assert.Contains("kind: Pod", yaml, StringComparison.Ordinal);
        Assert.Contains("restartPolicy: Always", yaml, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("shown", doc.RootElement.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("busybox:1.35", path.Trim());
    }

    [SkippableFact]
    public async Task Describe_shows_a_pod_and_a_deployment()
    {
        await NamespaceAsync("kubectl-describe");
        await ApplyAsync(Pod("described", "kubectl-describe"));
        await ApplyAsync("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"kubectl-describe"},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}
            """);

        var pod = await OkAsync("describe", "pod", "described", "-n", "kubectl-describe");
        var deployment = await OkAsync("describe", "deployment", "web", "-n", "kubectl-describe");

        Assert.Contains("Name:", pod, StringComparison.Ordinal);
        Assert.Contains("described", pod, StringComparison.Ordinal);
        Assert.Contains("Status:", pod, StringComparison.Ordinal);
        Assert.Contains("busybox:1.35", pod, StringComparison.Ordinal);
        Assert.Contains("Replicas:", deployment, StringComparison.Ordinal);
        Assert.Contains("2 desired", deployment, StringComparison.Ordinal);
        Assert.Contains("StrategyType:", deployment, StringComparison.Ordinal);
        Assert.Contains("RollingUpdate", deployment, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Delete_with_wait_returns_once_the_object_is_gone()
    {
        await NamespaceAsync("kubectl-wait");
        await ApplyAsync(Pod("waited", "kubectl-wait"));

        var output = await OkAsync("delete", "pod", "waited", "-n", "kubectl-wait", "--wait=true", "--timeout=30s");
        var (code, _, stderr) = await server.KubectlAsync("get", "pod", "waited", "-n", "kubectl-wait");

        Assert.Contains("pod \"waited\" deleted", output, StringComparison.Ordinal);
        Assert.NotEqual(0, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Cluster_info_names_the_control_plane()
    {
        var output = await OkAsync("cluster-info");

        Assert.Contains("Kubernetes control plane", output, StringComparison.Ordinal);
        Assert.Contains(server.Host.Url!.ToString().TrimEnd('/'), output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Get_watch_prints_changes_as_they_happen()
    {
        await NamespaceAsync("kubectl-watch");
        var kubectl = Kubesharp.Testing.ChildProcesses.Which("kubectl") ?? throw new SkipException("kubectl is not on PATH");
        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["KUBECONFIG"] = server.Kubeconfig;
        foreach (var a in new[] { "get", "configmaps", "-n", "kubectl-watch", "-w", "--output-watch-events", "--no-headers" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        try
        {
            var lines = new List<string>();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // Wait for the watch to be open (the namespace's root CA map may or may not exist: no line is guaranteed),
            // then change an object and read its events.
            await Task.Delay(TimeSpan.FromSeconds(1), deadline.Token);
            await ApplyAsync("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"watched","namespace":"kubectl-watch"},"data":{"a":"1"}}""");
            await OkAsync("label", "configmap", "watched", "-n", "kubectl-watch", "round=two");
            await OkAsync("delete", "configmap", "watched", "-n", "kubectl-watch");
            // Each line is the event type, then the server's table row: NAME DATA AGE.
            while (!lines.Contains("DELETED watched") && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                lines.Add(string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2)));
            }

            Assert.Contains("ADDED watched", lines);
            Assert.Contains("MODIFIED watched", lines);
            Assert.Contains("DELETED watched", lines);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}

public sealed class KubectlOutputTestsOnSqlite(SqliteApiServerFixture server) : KubectlOutputTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class KubectlOutputTestsOnEtcd(EtcdApiServerFixture server) : KubectlOutputTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
