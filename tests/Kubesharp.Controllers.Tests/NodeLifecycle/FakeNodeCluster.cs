using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.NodeLifecycle;
using Kubesharp.Testing.Client;

namespace Kubesharp.Controllers.Tests.NodeLifecycle;

/// <summary>
/// Nodes, pods and node Leases in caches that the controllers read, and an <see cref="INodeLifecycleApi"/> whose
/// writes land in those caches at once (as if the informers delivered them immediately), with resourceVersions
/// checked as the API server checks them. Every write is recorded as text in <see cref="Calls"/>. Not thread-safe:
/// the tests drive the controllers one call at a time.
/// </summary>
internal sealed class FakeNodeCluster : INodeLifecycleApi
{
    private long _revision = 100;

    public FakeNodeCluster()
    {
        Pods.AddIndexers(Indexers.NodeNameIndex());
    }

    public FakeClock Clock { get; } = new();

    public Indexer<V1Node> Nodes { get; } = new();

    public Indexer<V1Pod> Pods { get; } = new();

    public Indexer<V1Lease> Leases { get; } = new();

    public List<string> Calls { get; } = [];

    /// <summary>How many node status writes to refuse with a Conflict before accepting them.</summary>
    public int StatusConflicts { get; set; }

    /// <summary>How many taint writes to refuse with a Conflict before accepting them.</summary>
    public int TaintConflicts { get; set; }

    public V1Node Node(string name) => Nodes.Get(name) ?? throw new InvalidOperationException($"no node {name}");

    public V1Pod? Pod(string name) => Pods.Get("default/" + name);

    public V1Node AddNode(string name, string? ready = "True", string? zone = null, params V1Taint[] taints)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var node = new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Uid = "uid-" + name,
                CreationTimestamp = now,
                Labels = zone is null ? null : new Dictionary<string, string> { [NodeTopology.Zone] = zone },
            },
            Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : [.. taints] },
            Status = new V1NodeStatus
            {
                Conditions = ready is null ? null : [new V1NodeCondition { Type = "Ready", Status = ready, Reason = "KubeletReady", LastHeartbeatTime = now, LastTransitionTime = now }],
            },
        };
        Store(node);
        return node;
    }

    /// <summary>The kubelet renews the node's Lease now.</summary>
    public void RenewLease(string name)
    {
        var lease = Leases.Get(NodeLifecycleController.NodeLeaseNamespace + "/" + name) ?? new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = NodeLifecycleController.NodeLeaseNamespace },
            Spec = new V1LeaseSpec { HolderIdentity = name },
        };
        lease = Copy(lease);
        lease.Spec.RenewTime = Clock.GetUtcNow().UtcDateTime;
        lease.Metadata.ResourceVersion = Next();
        Leases.Upsert(lease);
    }

    /// <summary>The kubelet posts its status: Ready as given, heartbeat now (transition now when the status changed).</summary>
    public void PostStatus(string name, string ready)
    {
        var node = Copy(Node(name));
        var now = Clock.GetUtcNow().UtcDateTime;
        var condition = node.Status.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        if (condition is null)
        {
            node.Status.Conditions ??= [];
            node.Status.Conditions.Add(condition = new V1NodeCondition { Type = "Ready", LastTransitionTime = now });
        }
        else if (condition.Status != ready)
        {
            condition.LastTransitionTime = now;
        }

        condition.Status = ready;
        condition.Reason = ready == "True" ? "KubeletReady" : "KubeletNotReady";
        condition.Message = null;
        condition.LastHeartbeatTime = now;
        Store(node);
    }

    public void SetCondition(string name, string type, string status)
    {
        var node = Copy(Node(name));
        node.Status.Conditions ??= [];
        node.Status.Conditions = [.. node.Status.Conditions.Where(c => c.Type != type), new V1NodeCondition { Type = type, Status = status }];
        Store(node);
    }

    public void Update(V1Node node) => Store(Copy(node));

    public V1Pod AddPod(string name, string node, bool ready = true, params V1Toleration[] tolerations)
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = "uid-" + name, ResourceVersion = Next() },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "i" }], Tolerations = tolerations.Length == 0 ? null : [.. tolerations] },
            Status = new V1PodStatus
            {
                Phase = "Running",
                Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            },
        };
        Pods.Upsert(pod);
        return pod;
    }

    public Task<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken)
    {
        Calls.Add($"get node {name}");
        var node = Nodes.Get(name);
        return Task.FromResult(node is null ? null : Copy(node));
    }

    public Task<WriteOutcome> UpdateNodeStatusAsync(V1Node node, CancellationToken cancellationToken)
    {
        Calls.Add($"update node status {node.Metadata.Name}");
        if (Nodes.Get(node.Metadata.Name) is not { } current)
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        if (StatusConflicts > 0 || current.Metadata.ResourceVersion != node.Metadata.ResourceVersion)
        {
            StatusConflicts = Math.Max(0, StatusConflicts - 1);
            return Task.FromResult(WriteOutcome.Conflict);
        }

        var updated = Copy(current);
        updated.Status = Copy(node).Status;
        Store(updated);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> SetNodeTaintsAsync(string name, string? resourceVersion, IReadOnlyList<V1Taint> taints, CancellationToken cancellationToken)
    {
        Calls.Add($"taint node {name}: {string.Join(",", taints.Select(t => t.Key + ":" + t.Effect))}");
        if (Nodes.Get(name) is not { } current)
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        if (TaintConflicts > 0 || (resourceVersion is not null && resourceVersion != current.Metadata.ResourceVersion))
        {
            TaintConflicts = Math.Max(0, TaintConflicts - 1);
            return Task.FromResult(WriteOutcome.Conflict);
        }

        var updated = Copy(current);
        updated.Spec ??= new V1NodeSpec();
        updated.Spec.Taints = taints.Count == 0 ? null : [.. taints.Select(Copy)];
        Store(updated);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> PatchNodeLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Calls.Add($"label node {name}: {string.Join(",", labels.Select(l => l.Key + "=" + l.Value))}");
        var updated = Copy(Node(name));
        updated.Metadata.Labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in labels)
        {
            updated.Metadata.Labels[key] = value;
        }

        Store(updated);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> UpdatePodStatusAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        Calls.Add($"update pod status {pod.Metadata.Name}");
        if (Pods.Get(ObjectKeys.For(pod)) is not { } current)
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        if (current.Metadata.ResourceVersion != pod.Metadata.ResourceVersion)
        {
            return Task.FromResult(WriteOutcome.Conflict);
        }

        var updated = Copy(current);
        updated.Status = Copy(pod).Status;
        updated.Metadata.ResourceVersion = Next();
        Pods.Upsert(updated);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<V1Pod?> GetPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var pod = Pods.Get(ns + "/" + name);
        return Task.FromResult(pod is null ? null : Copy(pod));
    }

    public Task<WriteOutcome> PatchPodConditionAsync(V1Pod pod, V1PodCondition condition, CancellationToken cancellationToken)
    {
        Calls.Add($"condition pod {pod.Metadata.Name}: {condition.Type}={condition.Status} {condition.Reason}");
        if (Pods.Get(ObjectKeys.For(pod)) is not { } current)
        {
            return Task.FromResult(WriteOutcome.NotFound);
        }

        var updated = Copy(current);
        updated.Status.Conditions = [.. (updated.Status.Conditions ?? []).Where(c => c.Type != condition.Type), Copy(condition)];
        updated.Metadata.ResourceVersion = Next();
        Pods.Upsert(updated);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> DeletePodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        Calls.Add($"delete pod {name}");
        return Task.FromResult(Pods.Delete(ns + "/" + name) is null ? WriteOutcome.NotFound : WriteOutcome.Done);
    }

    private void Store(V1Node node)
    {
        node.Metadata.ResourceVersion = Next();
        Nodes.Upsert(node);
    }

    private string Next() => (++_revision).ToString(CultureInfo.InvariantCulture);

    private static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
}
