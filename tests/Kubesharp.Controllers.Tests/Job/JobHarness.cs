using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Job;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Job;

/// <summary>A Job controller over fakes: the test writes to <see cref="Store"/>, delivers to the caches when it chooses, and syncs by hand.</summary>
internal sealed class JobHarness : IDisposable
{
    public JobHarness(JobControllerOptions? options = null)
    {
        Store = new FakeWorkloadClient(Clock);
        Api = new FakeBatchClient(Store, Clock);
        Controller = new JobController(Api, Jobs.Indexer, Pods.Indexer, Events, Clock, NullLogger.Instance, options);
        Jobs.AddHandler(new ResourceEventHandlerFuncs<V1Job>
        {
            AddFunc = Controller.OnJobAdded,
            UpdateFunc = Controller.OnJobUpdated,
            DeleteFunc = (j, _) => Controller.OnJobDeleted(j),
        });
        Pods.AddHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = Controller.OnPodAdded,
            UpdateFunc = Controller.OnPodUpdated,
            DeleteFunc = (p, _) => Controller.OnPodDeleted(p, final: true),
        });
    }

    public FakeClock Clock { get; } = new();

    public FakeWorkloadClient Store { get; }

    public FakeBatchClient Api { get; }

    public FakeInformer<V1Job> Jobs { get; } = new();

    public FakeInformer<V1Pod> Pods { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public JobController Controller { get; }

    /// <summary>A Job as the API server stores it: defaults applied, selector and template labels generated from its UID.</summary>
    public static V1Job NewJob(string name, int? completions = 1, int parallelism = 1, int backoffLimit = 6, string mode = "NonIndexed", bool suspend = false, long? activeDeadlineSeconds = null)
    {
        var uid = "job-uid-" + name;
        var labels = new Dictionary<string, string>
        {
            ["batch.kubernetes.io/controller-uid"] = uid,
            ["batch.kubernetes.io/job-name"] = name,
            ["controller-uid"] = uid,
            ["job-name"] = name,
        };
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = TestObjects.Ns, Uid = uid },
            Spec = new V1JobSpec
            {
                Completions = completions,
                Parallelism = parallelism,
                BackoffLimit = backoffLimit,
                CompletionMode = mode,
                Suspend = suspend,
                ActiveDeadlineSeconds = activeDeadlineSeconds,
                PodReplacementPolicy = "TerminatingOrFailed",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["batch.kubernetes.io/controller-uid"] = uid } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox:1" }] },
                },
            },
        };
    }

    public V1Job Add(V1Job job)
    {
        var stored = Store.Add(job);
        Deliver();
        return stored;
    }

    public void Deliver()
    {
        Jobs.Deliver(Store);
        Pods.Deliver(Store);
    }

    /// <summary>Delivers, syncs the Job, delivers what the sync wrote.</summary>
    public async Task SyncAsync(string name)
    {
        Deliver();
        await Controller.SyncJobAsync(TestObjects.Ns + "/" + name, CancellationToken.None);
        Deliver();
    }

    public V1Job Job(string name) => Store.Get<V1Job>(TestObjects.Ns + "/" + name)!;

    public List<V1Pod> PodsOf(string name) =>
        [.. Store.List<V1Pod>().Where(p => p.Metadata.OwnerReferences?.Any(r => r.Name == name && r.Controller == true) == true).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>Plays the kubelet: the pod ends in <paramref name="phase"/>.</summary>
    public void Finish(V1Pod pod, string phase) =>
        Store.Mutate<V1Pod>(Kubesharp.Controllers.Common.Pods.Key(pod), p => p.Status = new V1PodStatus { Phase = phase });

    public IEnumerable<string> ConditionTypes(string name) =>
        Job(name).Status?.Conditions?.Where(c => c.Status == "True").Select(c => c.Type) ?? [];

    public void Dispose() => Controller.Dispose();
}
