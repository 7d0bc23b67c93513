using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.StatefulSet;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.StatefulSet;

/// <summary>A StatefulSet controller over fakes: the test writes to <see cref="Cluster"/>, delivers to the caches when it chooses, and syncs by hand.</summary>
internal sealed class StatefulSetHarness : IDisposable
{
    public StatefulSetHarness()
    {
        Cluster = new FakeWorkloadClient(Clock);
        Controller = new StatefulSetController(Cluster, Sets.Indexer, Pods.Indexer, Revisions.Indexer, Claims.Indexer, Events, Clock, NullLogger.Instance);
        Controller.Register(Sets.AddHandler, Pods.AddHandler);
    }

    public FakeClock Clock { get; } = new();

    public FakeWorkloadClient Cluster { get; }

    public FakeInformer<V1StatefulSet> Sets { get; } = new();

    public FakeInformer<V1Pod> Pods { get; } = new();

    public FakeInformer<V1ControllerRevision> Revisions { get; } = new();

    public FakeInformer<V1PersistentVolumeClaim> Claims { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public StatefulSetController Controller { get; }

    /// <summary>Delivers, then syncs the set. Pods the fake creates start Pending, as the API server makes them.</summary>
    public Task<ReconcileResult> SyncAsync()
    {
        foreach (var pod in Cluster.List<V1Pod>().Where(p => p.Status?.Phase is null))
        {
            Cluster.Mutate<V1Pod>(TestObjects.Ns + "/" + pod.Metadata.Name, p => p.Status = new V1PodStatus { Phase = "Pending" });
        }

        Sets.Deliver(Cluster);
        Pods.Deliver(Cluster);
        Revisions.Deliver(Cluster);
        Claims.Deliver(Cluster);
        return Controller.SyncAsync(TestObjects.Ns + "/web", CancellationToken.None);
    }

    /// <summary>Syncs, making every pod ready after each sync, until nothing changes (bounded).</summary>
    public async Task SettleAsync()
    {
        for (var i = 0; i < 20; i++)
        {
            var before = Cluster.Calls.Count;
            await SyncAsync();
            MakeAllReady();
            if (Cluster.Calls.Count == before)
            {
                return;
            }
        }

        throw new InvalidOperationException("the set did not settle in 20 syncs: " + string.Join("; ", Cluster.Calls.TakeLast(10)));
    }

    public V1StatefulSet AddSet(int replicas, string policy = "OrderedReady", string strategy = "RollingUpdate", int partition = 0, int? start = null, bool claims = true) =>
        Cluster.Add(new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = TestObjects.Ns },
            Spec = new V1StatefulSetSpec
            {
                Replicas = replicas,
                ServiceName = "web",
                PodManagementPolicy = policy,
                RevisionHistoryLimit = 10,
                Ordinals = start is null ? null : new V1StatefulSetOrdinals { Start = start },
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = TestObjects.Template(),
                UpdateStrategy = new V1StatefulSetUpdateStrategy
                {
                    Type = strategy,
                    RollingUpdate = strategy == "RollingUpdate" ? new V1RollingUpdateStatefulSetStrategy { Partition = partition } : null,
                },
                VolumeClaimTemplates = claims ? [new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = "data" }, Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"] } }] : null,
            },
        });

    public void MakeReady(string pod) =>
        Cluster.Mutate<V1Pod>(TestObjects.Ns + "/" + pod, p => TestObjects.MakeReady(p, Clock.GetUtcNow().UtcDateTime.AddMinutes(-1)));

    public void MakeAllReady()
    {
        foreach (var pod in Cluster.List<V1Pod>().Where(p => !Kubesharp.Controllers.Common.Pods.IsReady(p)))
        {
            MakeReady(pod.Metadata.Name);
        }
    }

    public List<string> PodNames() => [.. Cluster.List<V1Pod>().Select(p => p.Metadata.Name).Order(StringComparer.Ordinal)];

    public V1StatefulSetStatus Status => Cluster.Get<V1StatefulSet>(TestObjects.Ns + "/web")!.Status;

    public void Dispose() => Controller.Dispose();
}
