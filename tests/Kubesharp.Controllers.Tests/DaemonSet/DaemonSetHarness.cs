using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.DaemonSet;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.DaemonSet;

/// <summary>A DaemonSet controller over fakes: the test writes to <see cref="Cluster"/>, delivers to the caches when it chooses, and syncs by hand.</summary>
internal sealed class DaemonSetHarness : IDisposable
{
    public DaemonSetHarness()
    {
        Cluster = new FakeWorkloadClient(Clock);
        Controller = new DaemonSetController(Cluster, DaemonSets.Indexer, Pods.Indexer, Nodes.Indexer, Revisions.Indexer, Events, Clock, NullLogger.Instance);
        Controller.Register(DaemonSets.AddHandler, Pods.AddHandler, Nodes.AddHandler, Revisions.AddHandler);
    }

    public FakeClock Clock { get; } = new();

    public FakeWorkloadClient Cluster { get; }

    public FakeInformer<V1DaemonSet> DaemonSets { get; } = new();

    public FakeInformer<V1Pod> Pods { get; } = new();

    public FakeInformer<V1Node> Nodes { get; } = new();

    public FakeInformer<V1ControllerRevision> Revisions { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public DaemonSetController Controller { get; }

    public void Deliver()
    {
        DaemonSets.Deliver(Cluster);
        Pods.Deliver(Cluster);
        Nodes.Deliver(Cluster);
        Revisions.Deliver(Cluster);
    }

    /// <summary>Delivers, then syncs the DaemonSet.</summary>
    public Task<ReconcileResult> SyncAsync(string name = "agent")
    {
        Deliver();
        return Controller.SyncAsync(TestObjects.Ns + "/" + name, CancellationToken.None);
    }

    public V1Node AddNode(string name, params V1Taint[] taints) =>
        Cluster.Add(new V1Node { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : taints } });

    public V1DaemonSet AddDaemonSet(string image = "agent:1", string strategy = "RollingUpdate", string maxUnavailable = "1", string? maxSurge = null) =>
        Cluster.Add(new V1DaemonSet
        {
            ApiVersion = "apps/v1",
            Kind = "DaemonSet",
            Metadata = new V1ObjectMeta
            {
                Name = "agent",
                NamespaceProperty = TestObjects.Ns,
                Annotations = new Dictionary<string, string> { [DaemonPods.TemplateGenerationAnnotation] = "1" },
            },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
                Template = TestObjects.Template(image, new Dictionary<string, string> { ["app"] = "agent" }),
                RevisionHistoryLimit = 10,
                UpdateStrategy = new V1DaemonSetUpdateStrategy
                {
                    Type = strategy,
                    RollingUpdate = strategy == "RollingUpdate" ? new V1RollingUpdateDaemonSet { MaxUnavailable = maxUnavailable, MaxSurge = maxSurge } : null,
                },
            },
        });

    /// <summary>A new template, as the API server stores it: the template generation goes up.</summary>
    public void ChangeImage(string image) =>
        Cluster.Mutate<V1DaemonSet>(TestObjects.Ns + "/agent", ds =>
        {
            ds.Spec.Template.Spec.Containers[0].Image = image;
            var generation = long.Parse(ds.Metadata.Annotations[DaemonPods.TemplateGenerationAnnotation], System.Globalization.CultureInfo.InvariantCulture);
            ds.Metadata.Annotations[DaemonPods.TemplateGenerationAnnotation] = (generation + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        });

    /// <summary>Every pod (not being deleted) Running and Ready, as kubelets would make them.</summary>
    public void MakeAllReady(DateTime since)
    {
        foreach (var pod in Cluster.List<V1Pod>())
        {
            Cluster.Mutate<V1Pod>(TestObjects.Ns + "/" + pod.Metadata.Name, p => TestObjects.MakeReady(p, since));
        }
    }

    public List<V1Pod> PodsOn(string node) => [.. Cluster.List<V1Pod>().Where(p => DaemonPods.TargetNodeName(p) == node)];

    public int Count(string callPrefix) => Cluster.Calls.Count(c => c.StartsWith(callPrefix, StringComparison.Ordinal));

    public void Dispose() => Controller.Dispose();
}
