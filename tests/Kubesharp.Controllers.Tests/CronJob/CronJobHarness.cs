using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.CronJob;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Controllers.Tests.Job;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.CronJob;

/// <summary>A CronJob controller over fakes, in UTC, on a fake clock that starts on a whole hour.</summary>
internal sealed class CronJobHarness : IDisposable
{
    public CronJobHarness()
    {
        Clock.SetUtcNow(new DateTimeOffset(2026, 1, 2, 4, 0, 0, TimeSpan.Zero));
        Store = new FakeWorkloadClient(Clock);
        Api = new FakeBatchClient(Store, Clock);
        Controller = new CronJobController(Api, CronJobs.Indexer, Jobs.Indexer, Events, Clock, NullLogger.Instance, TimeZoneInfo.Utc);
        CronJobs.AddHandler(new ResourceEventHandlerFuncs<V1CronJob> { UpdateFunc = Controller.OnCronJobUpdated });
        Jobs.AddHandler(new ResourceEventHandlerFuncs<V1Job> { AddFunc = Controller.OnJobAdded, UpdateFunc = Controller.OnJobUpdated, DeleteFunc = (j, _) => Controller.OnJobDeleted(j) });
    }

    public FakeClock Clock { get; } = new();

    public FakeWorkloadClient Store { get; }

    public FakeBatchClient Api { get; }

    public FakeInformer<V1CronJob> CronJobs { get; } = new();

    public FakeInformer<V1Job> Jobs { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public CronJobController Controller { get; }

    public static V1CronJob NewCronJob(string name, string schedule = "* * * * *", string policy = "Allow", long? startingDeadlineSeconds = null, bool suspend = false) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "CronJob",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = TestObjects.Ns, Uid = "cj-uid-" + name },
        Spec = new V1CronJobSpec
        {
            Schedule = schedule,
            ConcurrencyPolicy = policy,
            StartingDeadlineSeconds = startingDeadlineSeconds,
            Suspend = suspend,
            SuccessfulJobsHistoryLimit = 3,
            FailedJobsHistoryLimit = 1,
            JobTemplate = new V1JobTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["team"] = "a" } },
                Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox:1" }] } } },
            },
        },
    };

    public V1CronJob Add(V1CronJob cronJob)
    {
        var stored = Store.Add(cronJob);
        Deliver();
        return stored;
    }

    public void Deliver()
    {
        CronJobs.Deliver(Store);
        Jobs.Deliver(Store);
    }

    public async Task<ReconcileResult> SyncAsync(string name)
    {
        Deliver();
        var result = await Controller.SyncAsync(TestObjects.Ns + "/" + name, CancellationToken.None);
        Deliver();
        return result;
    }

    public V1CronJob CronJob(string name) => Store.Get<V1CronJob>(TestObjects.Ns + "/" + name)!;

    public List<V1Job> JobsOf(string name) =>
        [.. Store.List<V1Job>().Where(j => j.Metadata.OwnerReferences?.Any(r => r.Name == name) == true).OrderBy(j => j.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>Marks a Job finished as the Job controller would, at the current time.</summary>
    public void FinishJob(V1Job job, string type, DateTime? startTime = null) =>
        Store.Mutate<V1Job>(TestObjects.Ns + "/" + job.Metadata.Name, j =>
        {
            var now = Clock.GetUtcNow().UtcDateTime;
            j.Status = new V1JobStatus
            {
                StartTime = startTime ?? now,
                CompletionTime = type == "Complete" ? now : null,
                Conditions = [new V1JobCondition { Type = type, Status = "True", LastTransitionTime = now }],
            };
        });

    public void Dispose() => Controller.Dispose();
}
