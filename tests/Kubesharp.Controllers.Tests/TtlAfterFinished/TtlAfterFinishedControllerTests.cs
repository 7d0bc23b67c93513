using k8s.Models;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Controllers.Tests.Job;
using Kubesharp.Controllers.TtlAfterFinished;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.TtlAfterFinished;

public sealed class TtlAfterFinishedControllerTests : IDisposable
{
    private readonly FakeClock _clock = new();
    private readonly FakeWorkloadClient _store;
    private readonly FakeBatchClient _api;
    private readonly FakeInformer<V1Job> _jobs = new();
    private readonly TtlAfterFinishedController _controller;

    public TtlAfterFinishedControllerTests()
    {
        _store = new FakeWorkloadClient(_clock);
        _api = new FakeBatchClient(_store, _clock);
        _controller = new TtlAfterFinishedController(_api, _jobs.Indexer, _clock, NullLogger.Instance);
    }

    public void Dispose() => _controller.Dispose();

    private void AddJob(int? ttl, string? finished, TimeSpan finishedAgo)
    {
        var job = JobHarness.NewJob("pi");
        job.Spec.TtlSecondsAfterFinished = ttl;
        if (finished is not null)
        {
            job.Status = new V1JobStatus { Conditions = [new V1JobCondition { Type = finished, Status = "True", LastTransitionTime = (_clock.GetUtcNow() - finishedAgo).UtcDateTime }] };
        }

        _store.Add(job);
        _jobs.Deliver(_store);
    }

    [Theory]
    [InlineData("complete, TTL passed", 60, "Complete", 61, true, null)]
    [InlineData("failed, TTL zero", 0, "Failed", 0, true, null)]
    [InlineData("complete, TTL ahead", 60, "Complete", 20, false, 40)]
    [InlineData("not finished", 60, null, 0, false, null)]
    [InlineData("no TTL", null, "Complete", 3600, false, null)]
    [InlineData("finished in the future (skew)", 10, "Complete", -30, false, 40)]
    public async Task A_finished_job_is_deleted_once_its_ttl_has_passed(string why, int? ttl, string? finished, int finishedSecondsAgo, bool deleted, int? requeueSeconds)
    {
        AddJob(ttl, finished, TimeSpan.FromSeconds(finishedSecondsAgo));

        var result = await _controller.SyncAsync("default/pi", CancellationToken.None);

        Assert.True(deleted == (_store.Get<V1Job>("default/pi") is null), why);
        Assert.Equal(requeueSeconds is { } s ? TimeSpan.FromSeconds(s) : null, result.Requeue);
        if (deleted)
        {
            Assert.Equal(["get job default/pi", "delete job default/pi Foreground uid=job-uid-pi"], _api.Calls);
        }
    }

    [Fact]
    public async Task A_ttl_raised_since_the_cache_saw_it_is_rechecked_on_the_fresh_job()
    {
        AddJob(10, "Complete", TimeSpan.FromSeconds(30));
        _store.Mutate<V1Job>("default/pi", j => j.Spec.TtlSecondsAfterFinished = 100);

        var result = await _controller.SyncAsync("default/pi", CancellationToken.None);

        Assert.NotNull(_store.Get<V1Job>("default/pi"));
        Assert.Equal(TimeSpan.FromSeconds(70), result.Requeue);
        Assert.Equal(["get job default/pi"], _api.Calls);
    }

    [Fact]
    public void Only_finished_jobs_with_a_ttl_not_being_deleted_are_queued()
    {
        AddJob(5, "Complete", TimeSpan.Zero);
        var job = _store.Get<V1Job>("default/pi")!;

        _controller.OnJob(job);
        job.Metadata.DeletionTimestamp = DateTime.UtcNow;
        _controller.OnJob(job);

        Assert.Equal(1, _controller.Queue.Count);
    }
}
