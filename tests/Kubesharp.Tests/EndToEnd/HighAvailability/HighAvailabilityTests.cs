using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Testing;
using Kubesharp.Testing.Runtime;
using Xunit.Abstractions;

namespace Kubesharp.Tests.EndToEnd.HighAvailability;

/// <summary>
/// Issue 9's highly available control plane: three <c>kubesharp server</c> processes on one 3-member etcd, bound to
/// 127.0.0.1, 127.0.0.2 and 127.0.0.3 on one port, serve one cluster. Under a steady load of writes spread over the
/// three, the server whose controller manager leads and the etcd leader are killed with SIGKILL; the survivors keep
/// acknowledging writes, no acknowledged write is lost, the leases move to survivors and the controllers and the
/// scheduler really work again. A real agent on the default containerd, given the three servers with the one that
/// will be killed first, keeps its node Ready and its pod running through the failover (same container, no restart)
/// and runs a pod created after it. Needs etcd (Debian etcd-server) and the container runtime (root).
/// </summary>
public sealed class HighAvailabilityTests(ITestOutputHelper output)
{
    private const string LoadLabel = "ha-load";
    private const string AgentNode = "ks-ha-node";
    private const string AgentTaint = "kubesharp.test/ha-agent";

    // Short leader election so that the test waits seconds, not upstream's 15 s lease.
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan RenewDeadline = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

    // Generous bounds for a busy 2-core machine; the measured figures are printed.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan FailoverTimeout = LeaseDuration + TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WorkTimeout = TimeSpan.FromSeconds(60);

    // The kubernetes Service's endpoint of a dead server lives out its 15 s lease, then the next 10 s reconcile drops it.
    private static readonly TimeSpan EndpointExpiry = TimeSpan.FromSeconds(15 + 10 + 20);

    private static readonly string[] SharedFiles = ["tls/ca.crt", "tls/ca.key", "tls/service-account.key", "node-token"];

    [SkippableFact]
    public async Task ThreeServersOnThreeEtcdMembersSurviveTheLossOfTheLeadingServerAndAnEtcdMember()
    {
        var etcdBinary = EtcdProcess.FindBinary();
        if (etcdBinary is null && Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_ETCD") == "1")
        {
            Assert.Fail("etcd is not on PATH, and KUBESHARP_REQUIRE_ETCD=1 requires it (scripts/deps.sh etcd installs it)");
        }

        Skip.If(etcdBinary is null, "etcd is not installed (scripts/deps.sh etcd installs Debian's etcd-server)");
        var runtime = ContainerRuntimeEnvironment.Get();
        Skip.IfNot(runtime.Available, runtime.SkipReason);
        var binary = Environment.GetEnvironmentVariable("KUBESHARP_BIN") is { Length: > 0 } b ? b : Path.Combine(AppContext.BaseDirectory, "kubesharp");
        Assert.True(File.Exists(binary), $"no kubesharp binary at {binary}");

        await using var etcd = await EtcdCluster.StartAsync(etcdBinary!, 3);
        var port = FreePorts.Next();
        var root = Directory.CreateTempSubdirectory("ks-ha-").FullName;
        var servers = new List<HaServer>();
        try
        {
            // All three at once on the empty datastore: they must agree on one CA, key and token.
            foreach (var address in (string[])["127.0.0.1", "127.0.0.2", "127.0.0.3"])
            {
                servers.Add(HaServer.Start(binary, address, port, etcd.Datastore, Path.Combine(root, address), LeaseDuration, RenewDeadline, RetryPeriod));
            }

            await Task.WhenAll(servers.Select(s => s.WaitReadyAsync()));
            await RunScenarioAsync(etcd, servers, new AgentSetup(binary, Path.Combine(root, "agent"), runtime.Socket));
        }
        catch
        {
            foreach (var server in servers)
            {
                output.WriteLine($"--- server {server.Url} (killed: {server.Killed}) ---{Environment.NewLine}{server.Output(60)}");
            }

            throw;
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>What the test's agent needs: the binary, its data directory, the containerd socket.</summary>
    private sealed record AgentSetup(string Binary, string DataDir, string Socket);

    private async Task RunScenarioAsync(EtcdCluster etcd, List<HaServer> servers, AgentSetup agentSetup)
    {
        // One cluster identity: the shared secrets are the same files everywhere, the serving certificates are each server's.
        foreach (var name in SharedFiles)
        {
            var first = await File.ReadAllTextAsync(Path.Combine(servers[0].DataDir, name));
            Assert.All(servers, s => Assert.True(first == File.ReadAllText(Path.Combine(s.DataDir, name)), $"{name} of {s.Url} differs from {servers[0].Url}'s"));
        }

        Assert.Equal(3, servers.Select(s => File.ReadAllText(Path.Combine(s.DataDir, "tls", "serving.crt"))).Distinct().Count());

        // One kubeconfig (the first server's) reaches all three: their serving certificates chain to its CA.
        var kubeconfig = servers[0].AdminKubeconfig;
        var clients = servers.Select(s => s.Client(kubeconfig)).ToList();
        try
        {
            foreach (var client in clients)
            {
                Assert.NotNull(await client.CoreV1.ReadNamespaceAsync("default"));
            }

            await WaitForAsync("the kubernetes Service's endpoints to list the three servers", StartTimeout, async () =>
                SetEquals(await EndpointAddressesAsync(clients[0]), servers.Select(s => s.Address)));

            var controllerManagers = await IdentitiesAsync(servers, "kube-controller-manager");
            var schedulers = await IdentitiesAsync(servers, "kube-scheduler");
            Assert.Equal(3, controllerManagers.Distinct().Count());
            Assert.Equal(3, schedulers.Distinct().Count());
            var cmLeader = await LeaderIndexAsync(clients[0], "kube-controller-manager", controllerManagers, StartTimeout);
            var schedulerLeader = await LeaderIndexAsync(clients[0], "kube-scheduler", schedulers, StartTimeout);
            output.WriteLine($"controller manager leads on {servers[cmLeader].Url}, scheduler on {servers[schedulerLeader].Url}");
            // The leading controller manager's service account controller makes default/default (pods need it).
            await WaitForAsync("the default service account", StartTimeout, async () => await TryAsync(() => clients[0].CoreV1.ReadNamespacedServiceAccountAsync("default", "default")) is not null);

            // A node that knows every server, the one about to be killed first: its kubelet and its pod must ride the
            // failover out. Tainted so that the scheduler keeps the Deployment's pod on the fake node below.
            var agentServers = new[] { cmLeader }.Concat(Enumerable.Range(0, 3).Where(i => i != cmLeader)).Select(i => servers[i].Url);
            await using var agent = KubesharpProcess.Start(agentSetup.Binary, "ha-agent", [
                "agent", "--server", string.Join(",", agentServers), "--token", (await File.ReadAllTextAsync(Path.Combine(servers[0].DataDir, "node-token"))).Trim(),
                "--node-name", AgentNode, "--data-dir", agentSetup.DataDir, "--containerd-socket", agentSetup.Socket, "--disable-kube-proxy", "--port", "0",
                "--node-taint", AgentTaint + "=true:NoSchedule"]);
            var agentPods = new List<string>();
            try
            {
                await RunWithAgentAsync(etcd, servers, clients, cmLeader, agent, agentPods);
            }
            catch
            {
                output.WriteLine($"--- agent (exited: {agent.HasExited}) ---{Environment.NewLine}{agent.LastLines()}");
                throw;
            }
            finally
            {
                await RemoveAgentPodsAsync(clients, servers, agentPods, agent, agentSetup.Socket);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private async Task RunWithAgentAsync(EtcdCluster etcd, List<HaServer> servers, List<Kubernetes> clients, int cmLeader, KubesharpProcess agent, List<string> agentPods)
    {
        var controllerManagers = await IdentitiesAsync(servers, "kube-controller-manager");
        var schedulers = await IdentitiesAsync(servers, "kube-scheduler");
        var kubeconfig = servers[0].AdminKubeconfig;
        await WaitForAsync($"node {AgentNode} Ready", StartTimeout, async () => NodeReady(await TryAsync(() => clients[cmLeader].CoreV1.ReadNodeAsync(AgentNode))));
        agentPods.Add("ha-steady");
        await clients[cmLeader].CoreV1.CreateNamespacedPodAsync(AgentPod("ha-steady"), "default");
        var steady = await WaitPodRunningAsync(clients[cmLeader], "ha-steady");
        output.WriteLine($"agent node {AgentNode} Ready; ha-steady running in {steady.Status.ContainerStatuses.Single().ContainerID}");

        await using var load = WriteLoad.Start(clients, LoadLabel);
        await WaitForAsync("20 acknowledged writes before the failure", WorkTimeout, () => Task.FromResult(load.Acknowledged.Count >= 20));

        var etcdLeader = await etcd.FindLeaderAsync() ?? 0;
        var killedAt = Stopwatch.GetTimestamp();
        var killedAtTime = DateTimeOffset.UtcNow;
        await servers[cmLeader].KillAsync();
        await etcd.KillAsync(etcdLeader);
        output.WriteLine($"killed {servers[cmLeader].Url} and etcd member {etcdLeader} (the raft leader) after {load.Acknowledged.Count} writes");
        var survivors = Enumerable.Range(0, 3).Where(i => i != cmLeader).ToList();

        // The leases move to survivors, within a lease duration plus a margin.
        var newCm = await LeaderIndexAsync(clients[survivors[0]], "kube-controller-manager", controllerManagers, FailoverTimeout, survivors);
        var cmFailover = Stopwatch.GetElapsedTime(killedAt);
        var newScheduler = await LeaderIndexAsync(clients[survivors[0]], "kube-scheduler", schedulers, FailoverTimeout, survivors);
        output.WriteLine($"controller manager lease on {servers[newCm].Url} {cmFailover.TotalSeconds:F1} s after the kill; scheduler on {servers[newScheduler].Url} {Stopwatch.GetElapsedTime(killedAt).TotalSeconds:F1} s after");

        // Writes keep being acknowledged, through each surviving server.
        await WaitForAsync("writes acknowledged by both survivors after the kills", WorkTimeout, () => Task.FromResult(
            survivors.All(i => load.AcknowledgedAfter(killedAtTime).Any(a => a.Server == i)) && load.AcknowledgedAfter(killedAtTime).Count >= 20));

        // The controllers and the scheduler really work on their new leaders.
        var survivor = clients[survivors[0]];
        await CreateReadyNodeAsync(survivor, "ha-node");
        await survivor.AppsV1.CreateNamespacedDeploymentAsync(Deployment("ha-web"), "default");
        await survivor.CoreV1.CreateNamespacedPodAsync(Pod("ha-pod"), "default");
        await WaitForAsync("the Deployment's ReplicaSet and its pod, bound to ha-node", WorkTimeout, async () =>
        {
            var sets = await survivor.AppsV1.ListNamespacedReplicaSetAsync("default", labelSelector: "app=ha-web");
            var pods = await survivor.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=ha-web");
            return sets.Items.Any(r => r.Metadata.OwnerReferences?.Any(o => o.Kind == "Deployment" && o.Name == "ha-web") == true)
                && pods.Items.Any(p => p.Spec.NodeName == "ha-node");
        });
        await WaitForAsync("the scheduler to bind ha-pod to ha-node", WorkTimeout, async () =>
            (await survivor.CoreV1.ReadNamespacedPodAsync("ha-pod", "default")).Spec.NodeName == "ha-node");

        // A service account token issued by one survivor is accepted by the other (one signing key).
        var token = await clients[survivors[0]].CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [] } }, "default", "default");
        var denied = await Assert.ThrowsAsync<HttpOperationException>(() => TokenClient(servers[survivors[1]], kubeconfig, token.Status.Token).CoreV1.ListNamespacedSecretAsync("kube-system"));
        Assert.True(denied.Response.StatusCode == HttpStatusCode.Forbidden, $"a token from {servers[survivors[0]].Url} on {servers[survivors[1]].Url}: {denied.Response.StatusCode} {denied.Response.Content}");
        Assert.Contains("system:serviceaccount:default:default", denied.Response.Content, StringComparison.Ordinal);

        // Every acknowledged write is there.
        await load.StopAsync();
        var acknowledged = load.Acknowledged.Select(a => a.Name).ToList();
        var stored = (await survivor.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: LoadLabel + "=1")).Items.Select(c => c.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var lost = acknowledged.Where(n => !stored.Contains(n)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged ConfigMaps are missing: {string.Join(", ", lost.Take(20))}");
        output.WriteLine($"{acknowledged.Count} writes acknowledged ({load.Failures} attempts failed and were retried), longest pause between acknowledgements {load.LongestPause.TotalSeconds:F1} s; none lost");

        // The dead server's endpoint expires from the kubernetes Service.
        await WaitForAsync("the kubernetes Service's endpoints to drop the killed server", EndpointExpiry, async () =>
            SetEquals(await EndpointAddressesAsync(survivor), survivors.Select(i => servers[i].Address)));

        // The node rode the failover out: its lease renewed through a survivor, Ready, the same container still
        // running with no restart, and a pod created now runs there (the kubelet's watch moved).
        await WaitForAsync($"node {AgentNode}'s lease renewed after the kills", WorkTimeout, async () =>
            (await TryAsync(() => survivor.CoordinationV1.ReadNamespacedLeaseAsync(AgentNode, "kube-node-lease")))?.Spec.RenewTime > killedAtTime.UtcDateTime);
        Assert.True(NodeReady(await survivor.CoreV1.ReadNodeAsync(AgentNode)), $"node {AgentNode} is not Ready after the failover");
        var after = await survivor.CoreV1.ReadNamespacedPodAsync("ha-steady", "default");
        Assert.Equal(steady.Metadata.Uid, after.Metadata.Uid);
        Assert.Equal("Running", after.Status.Phase);
        Assert.Equal(steady.Status.ContainerStatuses.Single().ContainerID, after.Status.ContainerStatuses.Single().ContainerID);
        Assert.Equal(0, after.Status.ContainerStatuses.Single().RestartCount);
        agentPods.Add("ha-later");
        await survivor.CoreV1.CreateNamespacedPodAsync(AgentPod("ha-later"), "default");
        await WaitPodRunningAsync(survivor, "ha-later");
        output.WriteLine($"after the failover: {AgentNode} Ready, ha-steady unchanged (0 restarts), ha-later running");
        Assert.False(agent.HasExited, "the agent exited");
    }

    private static bool NodeReady(V1Node? node) =>
        node?.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>A pod pinned to the agent's node (no scheduler), tolerating its taint.</summary>
    private static V1Pod AgentPod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            NodeName = AgentNode,
            TerminationGracePeriodSeconds = 1,
            Tolerations = [new V1Toleration { Key = AgentTaint, OperatorProperty = "Exists", Effect = "NoSchedule" }],
            Containers = [new V1Container { Name = "main", Image = ContainerRuntimeEnvironment.BusyboxImage, Command = ["sleep", "3600"] }],
        },
    };

    private static async Task<V1Pod> WaitPodRunningAsync(Kubernetes client, string name)
    {
        V1Pod? pod = null;
        await WaitForAsync($"pod {name} running on {AgentNode}", WorkTimeout, async () =>
        {
            pod = await TryAsync(() => client.CoreV1.ReadNamespacedPodAsync(name, "default"));
            return pod?.Status?.Phase == "Running" && pod.Status.ContainerStatuses?.All(c => c.State?.Running is not null) == true;
        });
        return pod!;
    }

    /// <summary>
    /// Deletes the agent's pods through a live server and waits for the kubelet to confirm, then stops the agent and
    /// removes from containerd whatever of them is left (the default containerd serves the next tests).
    /// </summary>
    private async Task RemoveAgentPodsAsync(List<Kubernetes> clients, List<HaServer> servers, List<string> names, KubesharpProcess agent, string socket)
    {
        var client = clients[servers.FindIndex(s => !s.Killed)];
        var uids = new List<string>();
        foreach (var name in names)
        {
            if (await TryAsync(() => client.CoreV1.ReadNamespacedPodAsync(name, "default")) is { } pod)
            {
                uids.Add(pod.Metadata.Uid);
                await TryAsync(() => client.CoreV1.DeleteNamespacedPodAsync(name, "default"));
            }
        }

        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < WorkTimeout && !agent.HasExited && await AnyPodLeftAsync(client, names))
        {
            await Task.Delay(250);
        }

        await agent.DisposeAsync();
        using var cri = new CriClient(socket, TimeSpan.FromSeconds(30));
        foreach (var sandbox in await cri.ListPodSandboxesAsync(new PodSandboxFilter()))
        {
            if (uids.Contains(sandbox.Metadata.Uid))
            {
                output.WriteLine($"removing sandbox {sandbox.Id} of {sandbox.Metadata.Name} left in containerd");
                await cri.StopPodSandboxAsync(sandbox.Id);
                await cri.RemovePodSandboxAsync(sandbox.Id);
            }
        }
    }

    private static async Task<bool> AnyPodLeftAsync(Kubernetes client, List<string> names)
    {
        foreach (var name in names)
        {
            if (await TryAsync(() => client.CoreV1.ReadNamespacedPodAsync(name, "default")) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<List<string>> IdentitiesAsync(List<HaServer> servers, string lease)
    {
        await WaitForAsync($"every server to campaign for {lease}", StartTimeout, () => Task.FromResult(servers.All(s => s.Identity(lease) is not null)));
        return [.. servers.Select(s => s.Identity(lease)!)];
    }

    /// <summary>Waits until the Lease's holder is one of <paramref name="candidates"/>' identities (all when null) and returns that server's index.</summary>
    private static async Task<int> LeaderIndexAsync(Kubernetes client, string lease, List<string> identities, TimeSpan timeout, List<int>? candidates = null)
    {
        var index = -1;
        await WaitForAsync($"the {lease} lease held by {(candidates is null ? "a server" : "a survivor")}", timeout, async () =>
        {
            var held = await TryAsync(() => client.CoordinationV1.ReadNamespacedLeaseAsync(lease, "kube-system"));
            index = held is null ? -1 : identities.IndexOf(held.Spec.HolderIdentity ?? "");
            return index >= 0 && (candidates is null || candidates.Contains(index));
        });
        return index;
    }

    private static async Task<List<string>> EndpointAddressesAsync(Kubernetes client)
    {
        var endpoints = await TryAsync(() => client.CoreV1.ReadNamespacedEndpointsAsync("kubernetes", "default"));
        return [.. endpoints?.Subsets?.SelectMany(s => s.Addresses ?? []).Select(a => a.Ip) ?? []];
    }

    private static bool SetEquals(IEnumerable<string> actual, IEnumerable<string> expected) => actual.ToHashSet(StringComparer.Ordinal).SetEquals(expected);

    /// <summary>A client of <paramref name="server"/> that presents a bearer token and trusts the cluster CA.</summary>
    private static Kubernetes TokenClient(HaServer server, string kubeconfig, string token)
    {
        var admin = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        return new Kubernetes(new KubernetesClientConfiguration
        {
            Host = server.Url,
            AccessToken = token,
            SslCaCerts = new X509Certificate2Collection(admin.SslCaCerts),
            HttpClientTimeout = TimeSpan.FromSeconds(10),
        });
    }

    /// <summary>A node object for the scheduler to place pods on; no kubelet behind it (the pods never run).</summary>
    private static async Task CreateReadyNodeAsync(Kubernetes client, string name)
    {
        var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["pods"] = new("110") };
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } } });
        // Read, modify, write, and again on a conflict (client-go's RetryOnConflict): the controllers write the new
        // node too (pod CIDR, taints) between the read and the write.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.CoreV1.ReplaceNodeStatusAsync(
                    new V1Node
                    {
                        Metadata = (await client.CoreV1.ReadNodeAsync(name)).Metadata,
                        Status = new V1NodeStatus
                        {
                            Capacity = resources,
                            Allocatable = resources,
                            Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", LastHeartbeatTime = DateTime.UtcNow, LastTransitionTime = DateTime.UtcNow }],
                        },
                    },
                    name);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 10)
            {
            }
        }
    }

    private static V1Deployment Deployment(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox:1.35" }] },
            },
        },
    };

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox:1.35" }] },
    };

    /// <summary>The result, or null when the server answers 404 or cannot be reached (yet).</summary>
    private static async Task<T?> TryAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (WriteLoad.IsTransient(e) || e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    private static async Task WaitForAsync(string what, TimeSpan timeout, Func<Task<bool>> condition)
    {
        var wait = Stopwatch.StartNew();
        while (!await condition())
        {
            if (wait.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}");
            }

            await Task.Delay(250);
        }
    }
}
