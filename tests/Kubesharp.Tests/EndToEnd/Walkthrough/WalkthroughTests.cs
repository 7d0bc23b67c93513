using System.Text.Json.Nodes;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Pods;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Tests.EndToEnd.Walkthrough;

/// <summary>
/// The walkthrough of <c>examples/README.md</c> as a test: a fresh <c>kubesharp server</c> with its own agent,
/// <c>kubectl apply -f examples/</c>, rollouts, the Job, the CronJob, the Service by ClusterIP and by DNS name and the
/// StatefulSet's stable names from inside a pod; then <c>kill -9</c> of the server and a restart on the same data
/// directory, after which every pod is the same one still running (adopted: same UIDs and container IDs, no restart);
/// then <c>kubectl delete -f examples/</c> and nothing is left in the API or in containerd.
/// Needs root, the default containerd (<c>scripts/runtime.sh up</c>, brought up if down) and kubectl: skipped visibly
/// without them, failed instead when <c>KUBESHARP_REQUIRE_RUNTIME=1</c> / <c>KUBESHARP_REQUIRE_KUBECTL=1</c>.
/// </summary>
public sealed class WalkthroughTests
{
    private const string Page = "<html><body><h1>Hello from Kubesharp</h1></body></html>";
    private static readonly TimeSpan Rollout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(60);
    private static readonly string[] StatefulPods = ["web-0", "web-1", "web-2"];

    [SkippableFact]
    public async Task The_examples_run_survive_a_kill_9_of_the_server_and_go_away_when_deleted()
    {
        var runtime = ContainerRuntimeEnvironment.Get();
        Skip.IfNot(runtime.Available, runtime.SkipReason);
        var repo = FindRepositoryRoot() ?? throw new SkipException($"no Kubesharp.slnx with examples/ above {AppContext.BaseDirectory}");
        await using var server = await WalkthroughServer.StartAsync(repo, runtime);
        Assert.Empty(await server.SandboxesAsync());

        await WaitNodeReadyAsync(server);
        var applied = await server.KubectlAsync("apply", "-f", server.Examples);
        foreach (var created in new[] { "configmap/frontend-page", "deployment.apps/frontend", "service/frontend", "job.batch/primes", "cronjob.batch/clock", "service/web", "statefulset.apps/web" })
        {
            Assert.Contains(created + " created", applied, StringComparison.Ordinal);
        }

        await server.KubectlAsync("rollout", "status", "deployment/frontend", $"--timeout={Rollout.TotalSeconds}s");
        await server.KubectlAsync("rollout", "status", "statefulset/web", $"--timeout={Rollout.TotalSeconds}s");
        await server.KubectlAsync("wait", "--for=condition=Complete", "job/primes", $"--timeout={Rollout.TotalSeconds}s");
        Assert.Equal("there are 1229 primes below 10000", (await server.KubectlAsync("logs", "job/primes")).Trim());
        var clusterIp = (await server.KubectlAsync("get", "service", "frontend", "-o", "jsonpath={.spec.clusterIP}")).Trim();
        Assert.StartsWith("10.43.", clusterIp, StringComparison.Ordinal);
        await AssertServedFromAPodAsync(server, clusterIp);

        // The CronJob fires every minute: one run that succeeded, with the output of its pod.
        await WalkthroughServer.EventuallyAsync("a successful run of cronjob/clock", TimeSpan.FromSeconds(150), async () =>
        {
            var last = (await server.KubectlAsync("get", "cronjob", "clock", "-o", "jsonpath={.status.lastSuccessfulTime}")).Trim();
            return (last.Length > 0, "lastSuccessfulTime empty; jobs: " + await server.KubectlAsync("get", "jobs"));
        });
        var clockJob = (await server.KubectlAsync("get", "jobs", "-o", "jsonpath={range .items[*]}{.metadata.ownerReferences[0].name}/{.metadata.name}/{.status.succeeded}{\"\\n\"}{end}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('/')).First(f => f[0] == "clock" && f[2] == "1")[1];
        Assert.Matches(@"^tick at \d\d:\d\d:\d\d from clock-", (await server.KubectlAsync("logs", "job/" + clockJob)).Trim());

        var before = await RunningPodsAsync(server);
        Assert.Equal(["frontend", "frontend", "web-0", "web-1", "web-2"], before.Values.Select(p => p.Name.StartsWith("frontend-", StringComparison.Ordinal) ? "frontend" : p.Name).Order());
        var containerIds = before.Values.SelectMany(p => p.ContainerIds).ToHashSet();

        await server.KillAsync();
        // The containers do not depend on the server: they keep running in containerd while it is gone.
        foreach (var id in containerIds)
        {
            Assert.Equal(ContainerState.ContainerRunning, (await server.Cri.ContainerStatusAsync(id)).State);
        }

        await server.RestartAsync();
        await WaitNodeReadyAsync(server);
        // Adopted, not recreated: the same pods (UIDs), the same containers, never restarted, Ready again.
        var after = new Dictionary<string, PodState>();
        await WalkthroughServer.EventuallyAsync("the pods Ready again after the restart", Short, async () =>
        {
            after = await RunningPodsAsync(server);
            return (after.Count == before.Count && after.Values.All(p => p.Ready), string.Join("; ", after.Values));
        });
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (uid, pod) in before)
        {
            Assert.Equal(pod.Name, after[uid].Name);
            Assert.Equal(pod.ContainerIds, after[uid].ContainerIds);
            Assert.Equal(0, after[uid].Restarts);
        }

        // Nothing else was started for these pods beside their first containers, which still run.
        var theirs = (await server.ContainersAsync()).Where(c => before.ContainsKey(c.Labels[RuntimeLabels.PodUid])).ToList();
        Assert.Equal(containerIds.Order(), theirs.Select(c => c.Id).Order());
        Assert.All(theirs, c => Assert.Equal(ContainerState.ContainerRunning, c.State));
        await AssertServedFromAPodAsync(server, clusterIp);
        var objects = await server.KubectlAsync("get", "configmap/frontend-page", "deployment/frontend", "service/frontend", "job/primes", "cronjob/clock", "service/web", "statefulset/web", "-o", "name");
        Assert.Equal(7, objects.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        await server.KubectlAsync("delete", "-f", server.Examples, "--wait=true", $"--timeout={Rollout.TotalSeconds}s");
        await WalkthroughServer.EventuallyAsync("no pod left in the API", Short, async () =>
        {
            var left = (await server.KubectlAsync("get", "pods", "-o", "name")).Trim();
            return (left.Length == 0, left);
        });
        await WalkthroughServer.EventuallyAsync("no sandbox or container of the pods left in containerd", Short, async () =>
        {
            var sandboxes = await server.SandboxesAsync();
            var containers = await server.ContainersAsync();
            return (sandboxes.Count == 0 && containers.Count == 0, $"sandboxes: {string.Join(", ", sandboxes.Select(s => s.Metadata.Name))}; containers: {string.Join(", ", containers.Select(c => c.Metadata.Name))}");
        });
    }

    /// <summary>A running pod as the API shows it: name, readiness, its containers' IDs (runtime prefix cut) and restarts.</summary>
    private sealed record PodState(string Name, bool Ready, IReadOnlyList<string> ContainerIds, int Restarts)
    {
        public override string ToString() => $"{Name} ready={Ready} restarts={Restarts} containers={string.Join(",", ContainerIds)}";
    }

    /// <summary>The running pods of the Deployment and the StatefulSet (not the Job's nor the CronJob's), by UID.</summary>
    private static async Task<Dictionary<string, PodState>> RunningPodsAsync(WalkthroughServer server)
    {
        var list = JsonNode.Parse(await server.KubectlAsync("get", "pods", "-l", "app in (frontend,web)", "-o", "json"))!;
        var pods = new Dictionary<string, PodState>();
        foreach (var pod in list["items"]!.AsArray())
        {
            if ((string?)pod!["status"]?["phase"] != "Running")
            {
                continue;
            }

            var statuses = pod["status"]?["containerStatuses"]?.AsArray() ?? [];
            pods[(string)pod["metadata"]!["uid"]!] = new PodState(
                (string)pod["metadata"]!["name"]!,
                pod["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true,
                [.. statuses.Select(s => ((string?)s!["containerID"] ?? "").Replace("containerd://", "", StringComparison.Ordinal)).Order()],
                statuses.Sum(s => (int?)s!["restartCount"] ?? 0));
        }

        return pods;
    }

    /// <summary>
    /// From inside web-0: the frontend Service answers with the ConfigMap's page by ClusterIP, by its short name and by its
    /// full DNS name, and each StatefulSet pod answers with its own hostname at its stable DNS name.
    /// </summary>
    private static async Task AssertServedFromAPodAsync(WalkthroughServer server, string clusterIp)
    {
        var expected = new List<(string Url, string Body)>
        {
            ($"http://{clusterIp}/", Page),
            ("http://frontend/", Page),
            ("http://frontend.default.svc.cluster.local/", Page),
        };
        expected.AddRange(StatefulPods.Select(p => ($"http://{p}.web.default.svc.cluster.local:8080/", p)));
        foreach (var (url, body) in expected)
        {
            // kube-proxy's rules and the DNS records follow the API within seconds; busybox's `wget -T` crashes, hence timeout.
            try
            {
                await WalkthroughServer.EventuallyAsync($"{url} from web-0", Short, async () =>
                {
                    var (code, stdout, stderr) = await server.TryKubectlAsync("exec", "web-0", "--", "timeout", "5", "wget", "-qO-", url);
                    return (code == 0 && stdout.Trim() == body, $"exit {code}: {stdout.Trim()} {stderr.Trim()}");
                });
            }
            catch (TimeoutException e)
            {
                // What the name resolved to and where the pods are, so that a failure says which side was wrong.
                var host = new Uri(url).Host;
                var lookup = await server.TryKubectlAsync("exec", "web-0", "--", "nslookup", host);
                var pods = await server.TryKubectlAsync("get", "pods", "-o", "wide");
                var slices = await server.TryKubectlAsync("get", "endpointslices", "-o", "yaml");
                throw new TimeoutException(
                    $"{e.Message}\nnslookup {host}: {lookup.Stdout}{lookup.Stderr}\npods:\n{pods.Stdout}{pods.Stderr}\nendpointslices:\n{slices.Stdout}{slices.Stderr}", e);
            }
        }
    }

    private static async Task WaitNodeReadyAsync(WalkthroughServer server)
    {
        await WalkthroughServer.EventuallyAsync($"node {WalkthroughServer.NodeName} registered", Short, async () =>
        {
            var (code, _, stderr) = await server.TryKubectlAsync("get", "node", WalkthroughServer.NodeName);
            return (code == 0, $"{stderr.Trim()}\nserver:\n{server.Log()}");
        });
        await server.KubectlAsync("wait", "--for=condition=Ready", "node/" + WalkthroughServer.NodeName, "--timeout=120s");
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kubesharp.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "examples")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
