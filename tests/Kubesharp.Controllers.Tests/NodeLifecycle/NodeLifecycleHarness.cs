using k8s.Models;
using Kubesharp.Controllers.NodeLifecycle;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.NodeLifecycle;

/// <summary>The lifecycle and taint eviction controllers over a <see cref="FakeNodeCluster"/>, driven pass by pass with fake time.</summary>
internal sealed class NodeLifecycleHarness : IDisposable
{
    public static readonly CoreControllerOptions DefaultOptions = new();

    public NodeLifecycleHarness(CoreControllerOptions? options = null)
    {
        Options = options ?? DefaultOptions;
        Lifecycle = new NodeLifecycleController(Cluster.Nodes, Cluster.Pods, Cluster.Leases, Cluster, Events, Options, Cluster.Clock, NullLogger.Instance);
        Eviction = new TaintEvictionController(Cluster.Nodes, Cluster.Pods, Cluster, EvictionEvents, Cluster.Clock, NullLogger.Instance);
    }

    public CoreControllerOptions Options { get; }

    public FakeNodeCluster Cluster { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public RecordingEventRecorder EvictionEvents { get; } = new();

    public NodeLifecycleController Lifecycle { get; }

    public TaintEvictionController Eviction { get; }

    public void Advance(double seconds) => Cluster.Clock.Advance(TimeSpan.FromSeconds(seconds));

    public Task MonitorAsync() => Lifecycle.SyncAsync(NodeLifecycleController.MonitorKey, CancellationToken.None);

    public Task TaintPassAsync() => Lifecycle.SyncAsync(NodeLifecycleController.TaintingKey, CancellationToken.None);

    public Task NodePassAsync(string name) => Lifecycle.SyncAsync(NodeLifecycleController.NodeKey(name), CancellationToken.None);

    /// <summary>A monitor pass followed by the tainting pass it would trigger.</summary>
    public async Task PassAsync()
    {
        await MonitorAsync();
        await TaintPassAsync();
    }

    public V1NodeCondition? Condition(string node, string type) => Cluster.Node(node).Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>The node's taints as "key:effect".</summary>
    public IEnumerable<string> Taints(string node) => Cluster.Node(node).Spec?.Taints?.Select(t => t.Key + ":" + t.Effect) ?? [];

    public void Dispose()
    {
        Lifecycle.Dispose();
        Eviction.Dispose();
    }
}
