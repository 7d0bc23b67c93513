using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Deployment;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Deployment;

/// <summary>
/// The Deployment controller over fakes. The test plays the ReplicaSet controller and the kubelets with
/// <see cref="Settle"/>: every ReplicaSet's status becomes what its spec asks, with the available replicas the test says.
/// </summary>
internal sealed class DeploymentHarness : IDisposable
{
    public DeploymentHarness()
    {
        Cluster = new FakeWorkloadClient(Clock);
        Controller = new DeploymentController(Cluster, Deployments.Indexer, ReplicaSets.Indexer, Pods.Indexer, Events, Clock, NullLogger.Instance);
        Deployments.AddHandler(new ResourceEventHandlerFuncs<V1Deployment> { AddFunc = Controller.Enqueue, UpdateFunc = (_, d) => Controller.Enqueue(d) });
        ReplicaSets.AddHandler(new ResourceEventHandlerFuncs<V1ReplicaSet>
        {
            AddFunc = Controller.OnReplicaSetAdded,
            UpdateFunc = Controller.OnReplicaSetUpdated,
            DeleteFunc = (rs, _) => Controller.OnReplicaSetDeleted(rs),
        });
        Pods.AddHandler(new ResourceEventHandlerFuncs<V1Pod> { DeleteFunc = (p, _) => Controller.OnPodDeleted(p) });
    }

    public FakeClock Clock { get; } = new();

    public FakeWorkloadClient Cluster { get; }

    public FakeInformer<V1Deployment> Deployments { get; } = new();

    public FakeInformer<V1ReplicaSet> ReplicaSets { get; } = new();

    public FakeInformer<V1Pod> Pods { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public DeploymentController Controller { get; }

    public static V1Deployment NewDeployment(string name = "web", int replicas = 3, string image = "nginx:1", string maxSurge = "25%", string maxUnavailable = "25%", string strategy = "RollingUpdate", int? revisionHistoryLimit = 10, int? progressDeadlineSeconds = 600) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = TestObjects.Ns },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = TestObjects.Template(image),
            Strategy = new V1DeploymentStrategy
            {
                Type = strategy,
                RollingUpdate = strategy == "RollingUpdate" ? new V1RollingUpdateDeployment { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable } : null,
            },
            RevisionHistoryLimit = revisionHistoryLimit,
            ProgressDeadlineSeconds = progressDeadlineSeconds,
        },
    };

    public void Deliver()
    {
        Deployments.Deliver(Cluster);
        ReplicaSets.Deliver(Cluster);
        Pods.Deliver(Cluster);
    }

    public async Task<ReconcileResult> SyncAsync(string name = "web")
    {
        Deliver();
        var result = await Controller.SyncAsync(TestObjects.Ns + "/" + name, CancellationToken.None);
        Deliver();
        return result;
    }

    /// <summary>Every ReplicaSet reports spec.replicas pods, of which <paramref name="available"/> says how many are ready and available.</summary>
    public void Settle(Func<V1ReplicaSet, int>? available = null)
    {
        foreach (var rs in Cluster.List<V1ReplicaSet>())
        {
            var replicas = rs.Spec.Replicas ?? 0;
            var ready = Math.Min(replicas, available?.Invoke(rs) ?? replicas);
            Cluster.Mutate<V1ReplicaSet>(ObjectKeys.For(rs), r => r.Status = new V1ReplicaSetStatus
            {
                Replicas = replicas,
                FullyLabeledReplicas = replicas,
                ReadyReplicas = ready,
                AvailableReplicas = ready,
                ObservedGeneration = r.Metadata.Generation,
            });
        }

        Deliver();
    }

    public V1Deployment Deployment(string name = "web") => Cluster.Get<V1Deployment>(TestObjects.Ns + "/" + name)!;

    public List<V1ReplicaSet> ReplicaSetsByRevision() =>
        [.. Cluster.List<V1ReplicaSet>().OrderBy(rs => long.Parse(rs.Metadata.Annotations[DeploymentAnnotations.Revision], System.Globalization.CultureInfo.InvariantCulture))];

    public void Dispose() => Controller.Dispose();
}
