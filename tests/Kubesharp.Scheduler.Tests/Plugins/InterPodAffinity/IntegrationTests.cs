using k8s;
using k8s.Models;
using Kubesharp.Scheduler.Tests.Integration;
using static Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity.Affinity;

namespace Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity;

/// <summary>
/// The plugin in <c>kubesharp server</c>'s scheduler against a real API server: namespace selectors read the
/// namespaces through the scheduler's own informer (and its RBAC), placements go through pods/binding.
/// </summary>
public sealed class IntegrationTests(SchedulerFixture fixture) : IClassFixture<SchedulerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private Kubernetes Client => fixture.Client;

    [Fact]
    public async Task Namespace_selectors_place_pods_beside_and_away_from_pods_of_labelled_namespaces()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var team = $"team-{suffix}";
        var apps = $"apps-{suffix}";
        var select = new Dictionary<string, string> { ["suite"] = suffix };

        // The labelled namespace exists before anything is scheduled, so the scheduler's namespace informer holds it.
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = team, Labels = new Dictionary<string, string> { ["owner"] = suffix } } });
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = apps } });
        foreach (var name in new[] { $"x-{suffix}", $"y-{suffix}" })
        {
            var node = Make.Node(name, labels: new Dictionary<string, string> { ["suite"] = suffix, [Hostname] = name });
            var status = node.Status;
            node.Metadata.Uid = null;
            node.Metadata.ResourceVersion = null;
            var created = await Client.CoreV1.CreateNodeAsync(node);
            created.Status = status;
            await Client.CoreV1.ReplaceNodeStatusAsync(created, name);
        }

        var guardNode = await PlaceAsync(team, Pod("guard", "app=guard"), select);
        var other = guardNode == $"x-{suffix}" ? $"y-{suffix}" : $"x-{suffix}";
        var owned = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["owner"] = suffix } };

        var away = await PlaceAsync(apps, Pod("away", affinity: Required(anti: [Term(Hostname, "app", "guard").With(namespaceSelector: owned)])), select);
        var beside = await PlaceAsync(apps, Pod("beside", affinity: Required([Term(Hostname, "app", "guard").With(namespaceSelector: owned)])), select);

        Assert.Equal((other, guardNode), (away, beside));

        // Away from the guard and from "away": no node is left, and the condition says why as upstream does.
        await CreateAsync(apps, Pod("nowhere", affinity: Required(anti:
        [
            Term(Hostname, "app", "guard").With(namespaceSelector: owned),
            new V1PodAffinityTerm { TopologyKey = Hostname, LabelSelector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "app", OperatorProperty = "DoesNotExist" }] } },
        ])), select);
        var condition = await WaitAsync(apps, "nowhere", p => p.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False"));
        // Anti-affinity is a verdict preemption could change, but every pod here has the same priority: no victims.
        Assert.Equal("0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..", condition.Message);
    }

    private async Task<string> PlaceAsync(string ns, V1Pod pod, Dictionary<string, string> select)
    {
        await CreateAsync(ns, pod, select);
        return await WaitAsync(ns, pod.Metadata.Name, p => p.Spec.NodeName);
    }

    private async Task CreateAsync(string ns, V1Pod pod, Dictionary<string, string> select)
    {
        pod.Metadata.Uid = null;
        pod.Metadata.ResourceVersion = null;
        pod.Metadata.NamespaceProperty = ns;
        pod.Spec.NodeSelector = select;
        await Client.CoreV1.CreateNamespacedPodAsync(pod, ns);
    }

    private async Task<T> WaitAsync<T>(string ns, string name, Func<V1Pod, T?> read)
    {
        var deadline = DateTime.UtcNow + Bound;
        V1Pod pod;
        do
        {
            pod = await Client.CoreV1.ReadNamespacedPodAsync(name, ns);
            if (read(pod) is { } value)
            {
                return value;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"{ns}/{name}: nothing within {Bound}; last saw nodeName={pod.Spec.NodeName} conditions={KubernetesJson.Serialize(pod.Status?.Conditions)}");
        return default!;
    }
}
