using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.ReplicaSet;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.ReplicaSet;

/// <summary>A replica core over fakes: the test writes to <see cref="Cluster"/>, delivers to the caches when it chooses, and syncs by hand.</summary>
internal sealed class ReplicaHarness<T> : IDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public ReplicaHarness(IReplicaKind<T> kind, int burstReplicas = ReplicaManager<T>.BurstReplicas)
    {
        Cluster = new FakeWorkloadClient(Clock);
        Controller = new ReplicaManager<T>(kind, Cluster, Owners.Indexer, Pods.Indexer, Events, Clock, NullLogger.Instance, burstReplicas: burstReplicas);
        Owners.AddHandler(new ResourceEventHandlerFuncs<T>
        {
            AddFunc = Controller.OnOwnerAdded,
            UpdateFunc = Controller.OnOwnerUpdated,
            DeleteFunc = (o, _) => Controller.OnOwnerDeleted(o),
        });
        Pods.AddHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = Controller.OnPodAdded,
            UpdateFunc = Controller.OnPodUpdated,
            DeleteFunc = (p, _) => Controller.OnPodDeleted(p),
        });
    }

    public FakeClock Clock { get; } = new();

    public FakeWorkloadClient Cluster { get; }

    public FakeInformer<T> Owners { get; } = new();

    public FakeInformer<V1Pod> Pods { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public ReplicaManager<T> Controller { get; }

    public void Deliver()
    {
        Owners.Deliver(Cluster);
        Pods.Deliver(Cluster);
    }

    public Task<ReconcileResult> SyncAsync(string name) => Controller.SyncAsync(TestObjects.Ns + "/" + name, CancellationToken.None);

    public List<V1Pod> PodsOwnedBy(string uid) =>
        [.. Cluster.List<V1Pod>().Where(p => p.Metadata.OwnerReferences?.Any(r => r.Uid == uid && r.Controller == true) == true)];

    public void Dispose() => Controller.Dispose();
}
