using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.ClusterRoleAggregation;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.Namespace;
using Kubesharp.Controllers.PodGc;
using Kubesharp.Controllers.RootCaPublisher;
using Kubesharp.Controllers.ServiceAccounts;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>Records every write; answers with <see cref="Outcome"/> (Done by default). Callers record copies.</summary>
internal abstract class RecordingApi<T>
{
    private readonly ConcurrentQueue<T> _writes = new();

    public WriteOutcome Outcome { get; set; } = WriteOutcome.Done;

    public IReadOnlyList<T> Writes => [.. _writes];

    protected Task<WriteOutcome> Record(T item)
    {
        _writes.Enqueue(item);
        return Task.FromResult(Outcome);
    }

    protected static TItem Copy<TItem>(TItem item) => item is null ? item : KubernetesJson.Deserialize<TItem>(KubernetesJson.Serialize(item));
}

internal sealed class FakeServiceAccountApi : RecordingApi<V1ServiceAccount>, IServiceAccountApi
{
    public Task<WriteOutcome> CreateAsync(V1ServiceAccount account, CancellationToken cancellationToken) => Record(Copy(account));
}

internal sealed class FakeConfigMapApi : RecordingApi<(string Verb, V1ConfigMap Map)>, IConfigMapApi
{
    public Task<WriteOutcome> CreateAsync(V1ConfigMap configMap, CancellationToken cancellationToken) => Record(("create", Copy(configMap)));

    public Task<WriteOutcome> UpdateAsync(V1ConfigMap configMap, CancellationToken cancellationToken) => Record(("update", Copy(configMap)));
}

internal sealed class FakeClusterRoleApi : RecordingApi<V1ClusterRole>, IClusterRoleApi
{
    public Task<WriteOutcome> UpdateAsync(V1ClusterRole role, CancellationToken cancellationToken) => Record(Copy(role));
}

/// <summary>Nodes that a live read finds are in <see cref="ExistingNodes"/>; calls are recorded in order as text.</summary>
internal sealed class FakePodGcApi : IPodGcApi
{
    private readonly ConcurrentQueue<string> _calls = new();

    public HashSet<string> ExistingNodes { get; } = [];

    public ConcurrentQueue<V1PodCondition?> Conditions { get; } = new();

    public IReadOnlyList<string> Calls => [.. _calls];

    public Task<bool> NodeExistsAsync(string name, CancellationToken cancellationToken)
    {
        _calls.Enqueue("get node " + name);
        return Task.FromResult(ExistingNodes.Contains(name));
    }

    public Task<WriteOutcome> MarkFailedAsync(V1Pod pod, V1PodCondition? condition, CancellationToken cancellationToken)
    {
        _calls.Enqueue("fail " + pod.Metadata.Name);
        Conditions.Enqueue(condition);
        return Task.FromResult(WriteOutcome.Done);
    }

    public Task<WriteOutcome> ForceDeleteAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        _calls.Enqueue("delete " + pod.Metadata.Name);
        return Task.FromResult(WriteOutcome.Done);
    }
}

/// <summary>One namespace held in memory with the API's rules for status and finalize; pods for the estimate.</summary>
internal sealed class FakeNamespaceApi : INamespaceApi
{
    private readonly ConcurrentQueue<string> _calls = new();
    private int _version = 10;

    public V1Namespace? Stored { get; set; }

    public List<V1Pod> Pods { get; } = [];

    /// <summary>How many of the next status updates answer 409.</summary>
    public int ConflictsOnStatus { get; set; }

    public IReadOnlyList<string> Calls => [.. _calls];

    public Task<V1Namespace?> GetAsync(string name, CancellationToken cancellationToken)
    {
        _calls.Enqueue("get");
        return Task.FromResult(Stored?.Metadata.Name == name ? Copy(Stored) : null);
    }

    public Task<V1Namespace> UpdateStatusAsync(V1Namespace ns, CancellationToken cancellationToken)
    {
        _calls.Enqueue("status " + ns.Status?.Phase);
        if (ConflictsOnStatus > 0)
        {
            ConflictsOnStatus--;
            throw new Client.Cache.ApiStatusException(new V1Status { Code = 409, Reason = "Conflict", Message = "conflict" });
        }

        Stored!.Status = Copy(ns.Status);
        Stored.Metadata.ResourceVersion = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Task.FromResult(Copy(Stored));
    }

    public Task<V1Namespace?> FinalizeAsync(V1Namespace ns, CancellationToken cancellationToken)
    {
        _calls.Enqueue("finalize " + string.Join(",", ns.Spec?.Finalizers ?? []));
        Stored!.Spec = Copy(ns.Spec);
        if (Stored.Spec?.Finalizers is not { Count: > 0 })
        {
            Stored = null;
            return Task.FromResult<V1Namespace?>(null);
        }

        return Task.FromResult<V1Namespace?>(Copy(Stored));
    }

    public Task<IReadOnlyList<V1Pod>> ListPodsAsync(string ns, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<V1Pod>>([.. Pods]);

    private static T Copy<T>(T item) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(item));
}
