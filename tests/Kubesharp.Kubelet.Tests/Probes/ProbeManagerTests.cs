using System.Globalization;
using System.Threading.Channels;
using k8s.Models;
using Kubesharp.Kubelet.Probes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Probes;

/// <summary>
/// The probe workers' timing and thresholds on fake time. Each step is gated by a barrier: the worker announces the
/// time it waits for next (after it finished the previous run), and the fake runner announces every run.
/// </summary>
public sealed class ProbeManagerTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly ProbeOutcome Ok = new(ProbeResult.Success, "");
    private static readonly ProbeOutcome Bad = new(ProbeResult.Failure, "HTTP probe failed with statuscode: 500");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", CultureInfo.InvariantCulture));
    private readonly RecordingEventRecorder _events = new();
    private readonly FakeProbeRunner _runner;
    private readonly ProbeManager _manager;
    private readonly Dictionary<ProbeKind, Channel<ProbeWorkerWait>> _waits = new()
    {
        [ProbeKind.Liveness] = Channel.CreateUnbounded<ProbeWorkerWait>(),
        [ProbeKind.Readiness] = Channel.CreateUnbounded<ProbeWorkerWait>(),
        [ProbeKind.Startup] = Channel.CreateUnbounded<ProbeWorkerWait>(),
    };
    private readonly Channel<ProbeFailure> _unhealthy = Channel.CreateUnbounded<ProbeFailure>();
    private readonly Channel<string> _changed = Channel.CreateUnbounded<string>();
    private readonly DateTimeOffset _t0;

    public ProbeManagerTests()
    {
        _t0 = _time.GetUtcNow();
        _runner = new FakeProbeRunner(_time);
        _manager = new ProbeManager(_runner, _events, _time, NullLogger.Instance);
        _manager.WorkerWaiting += w => _waits[w.Kind].Writer.TryWrite(w);
        _manager.ContainerUnhealthy += f =>
        {
            _unhealthy.Writer.TryWrite(f);
            return Task.CompletedTask;
        };
        _manager.ResultsChanged += uid => _changed.Writer.TryWrite(uid);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _manager.DisposeAsync();

    private static V1Pod Pod(V1Probe? liveness = null, V1Probe? readiness = null, V1Probe? startup = null, string restartPolicy = "Always") => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "uid-1", ResourceVersion = "7" },
        Spec = new V1PodSpec
        {
            RestartPolicy = restartPolicy,
            TerminationGracePeriodSeconds = 30,
            Containers = [new V1Container { Name = "app", LivenessProbe = liveness, ReadinessProbe = readiness, StartupProbe = startup }],
        },
    };

    private async Task<ProbeWorkerWait> NextWaitAsync(ProbeKind kind) => await _waits[kind].Reader.ReadAsync().AsTask().WaitAsync(Guard);

    private async Task<ProbeCall> NextCallAsync() => await _runner.Calls.Reader.ReadAsync().AsTask().WaitAsync(Guard);

    /// <summary>Advances to the worker's announced wait, and returns the run that followed and the next wait.</summary>
    private async Task<(ProbeCall Call, ProbeWorkerWait Next)> TickAsync(ProbeKind kind, ProbeWorkerWait wait)
    {
        _time.SetUtcNow(wait.Until);
        var call = await NextCallAsync();
        return (call, await NextWaitAsync(kind));
    }

    [Fact]
    public async Task Readiness_runs_after_the_initial_delay_then_every_period_and_turns_ready()
    {
        var pod = Pod(readiness: new V1Probe { InitialDelaySeconds = 5, PeriodSeconds = 10, HttpGet = new V1HTTPGetAction { Port = 80 } });
        _manager.ContainerStarted(pod, "app", "c1", _t0, "10.0.0.5");

        var first = await NextWaitAsync(ProbeKind.Readiness);
        Assert.Equal(_t0.AddSeconds(5), first.Until);
        Assert.False(_manager.IsReady("uid-1", "app", "c1"), "not ready before the first success");
        Assert.True(_manager.IsStarted("uid-1", "app", "c1"), "started without a startup probe");

        var (call, next) = await TickAsync(ProbeKind.Readiness, first);
        Assert.Equal(new ProbeCall(ProbeKind.Readiness, "c1", _t0.AddSeconds(5)), call);
        Assert.Equal(_t0.AddSeconds(15), next.Until);
        Assert.Equal("uid-1", await _changed.Reader.ReadAsync().AsTask().WaitAsync(Guard));
        Assert.True(_manager.IsReady("uid-1", "app", "c1"));
        Assert.False(_manager.IsReady("uid-1", "app", "old"), "another instance of the container is not ready");
    }

    [Fact]
    public async Task Readiness_follows_its_success_and_failure_thresholds()
    {
        var pod = Pod(readiness: new V1Probe { PeriodSeconds = 1, SuccessThreshold = 2, FailureThreshold = 2, Exec = new V1ExecAction { Command = ["x"] } });
        _runner.Enqueue(ProbeKind.Readiness, Ok, Ok, Bad, Ok, Bad, Bad, Ok, Ok);
        _manager.ContainerStarted(pod, "app", "c1", _t0, null);
        var wait = await NextWaitAsync(ProbeKind.Readiness);

        var readiness = new List<bool>();
        for (var i = 0; i < 8; i++)
        {
            (_, wait) = await TickAsync(ProbeKind.Readiness, wait);
            readiness.Add(_manager.IsReady("uid-1", "app", "c1"));
        }

        Assert.Equal([false, true, true, true, true, false, false, true], readiness);
        Assert.Equal(3, _events.Events.Count(e => e.Reason == "Unhealthy"));
        var failed = _events.Events.First(e => e.Reason == "Unhealthy");
        Assert.Equal("Warning", failed.Type);
        Assert.Equal("Readiness probe failed: HTTP probe failed with statuscode: 500", failed.Message);
        Assert.Equal("spec.containers{app}", failed.InvolvedObject.FieldPath);
        Assert.Equal(("Pod", "web", "default", "uid-1"), (failed.InvolvedObject.Kind, failed.InvolvedObject.Name, failed.InvolvedObject.NamespaceProperty, failed.InvolvedObject.Uid));
        // Ready turned true, then false, then true again: three changes.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("uid-1", await _changed.Reader.ReadAsync().AsTask().WaitAsync(Guard));
        }

        Assert.False(_changed.Reader.TryRead(out _), "no change is reported when the result stays the same");
    }

    [Fact]
    public async Task Liveness_failing_past_its_threshold_raises_unhealthy_once_per_container_instance()
    {
        var pod = Pod(liveness: new V1Probe { PeriodSeconds = 10, FailureThreshold = 3, TerminationGracePeriodSeconds = 4, TcpSocket = new V1TCPSocketAction { Port = 80 } });
        _runner.Default[ProbeKind.Liveness] = Bad;
        _manager.ContainerStarted(pod, "app", "c1", _t0, "10.0.0.5");
        var wait = await NextWaitAsync(ProbeKind.Liveness);

        (_, wait) = await TickAsync(ProbeKind.Liveness, wait);
        (_, wait) = await TickAsync(ProbeKind.Liveness, wait);
        Assert.False(_unhealthy.Reader.TryRead(out _), "two failures are below the threshold");
        (_, wait) = await TickAsync(ProbeKind.Liveness, wait);

        var failure = await _unhealthy.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal(new ProbeFailure("uid-1", "app", "c1", ProbeKind.Liveness, "LivenessProbe", "Container app failed liveness probe, will be restarted",
            "HTTP probe failed with statuscode: 500", TimeSpan.FromSeconds(4)), failure);

        // On hold: later ticks of this instance run no probe and raise nothing.
        _time.SetUtcNow(wait.Until);
        wait = await NextWaitAsync(ProbeKind.Liveness);
        _time.SetUtcNow(wait.Until);
        await NextWaitAsync(ProbeKind.Liveness);
        Assert.Equal(3, _runner.Count(ProbeKind.Liveness));
        Assert.False(_unhealthy.Reader.TryRead(out _), "raised once per container instance");
        Assert.Equal(3, _events.Events.Count(e => e.Message == "Liveness probe failed: HTTP probe failed with statuscode: 500"));
        Assert.True(_manager.IsReady("uid-1", "app", "c1"), "liveness does not decide readiness");
    }

    [Fact]
    public async Task A_new_container_id_resets_the_counters()
    {
        var pod = Pod(liveness: new V1Probe { PeriodSeconds = 10, FailureThreshold = 3, Exec = new V1ExecAction { Command = ["x"] } }, restartPolicy: "Never");
        _runner.Default[ProbeKind.Liveness] = Bad;
        _manager.ContainerStarted(pod, "app", "c1", _t0, null);
        var wait = await NextWaitAsync(ProbeKind.Liveness);
        (_, wait) = await TickAsync(ProbeKind.Liveness, wait);
        (_, _) = await TickAsync(ProbeKind.Liveness, wait);

        // The container restarted (a new id) before the third failure.
        var restartedAt = _time.GetUtcNow();
        _manager.ContainerStarted(pod, "app", "c2", restartedAt, null);
        wait = await NextWaitAsync(ProbeKind.Liveness);
        Assert.Equal(new ProbeWorkerWait("uid-1", "app", "c2", ProbeKind.Liveness, restartedAt), wait);
        (var call, wait) = await TickAsync(ProbeKind.Liveness, wait);
        Assert.Equal("c2", call.ContainerId);
        (_, wait) = await TickAsync(ProbeKind.Liveness, wait);
        Assert.False(_unhealthy.Reader.TryRead(out _), "two failures of the new instance are below the threshold");
        await TickAsync(ProbeKind.Liveness, wait);

        var failure = await _unhealthy.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal("c2", failure.ContainerId);
        Assert.Equal("Container app failed liveness probe", failure.Message);
        Assert.Equal(TimeSpan.FromSeconds(30), failure.GracePeriod);
    }

    [Fact]
    public async Task Liveness_and_readiness_wait_for_the_startup_probe()
    {
        var pod = Pod(
            liveness: new V1Probe { PeriodSeconds = 10, Exec = new V1ExecAction { Command = ["live"] } },
            readiness: new V1Probe { PeriodSeconds = 10, Exec = new V1ExecAction { Command = ["ready"] } },
            startup: new V1Probe { PeriodSeconds = 3, FailureThreshold = 30, Exec = new V1ExecAction { Command = ["start"] } });
        _runner.Enqueue(ProbeKind.Startup, Bad, Bad);
        _manager.ContainerStarted(pod, "app", "c1", _t0, null);
        var startup = await NextWaitAsync(ProbeKind.Startup);
        var readiness = await NextWaitAsync(ProbeKind.Readiness);
        var liveness = await NextWaitAsync(ProbeKind.Liveness);
        Assert.Equal([_t0, _t0, _t0], new[] { startup.Until, readiness.Until, liveness.Until });

        // At t0 every worker wakes; only the startup probe runs.
        _time.SetUtcNow(_t0);
        Assert.Equal(ProbeKind.Startup, (await NextCallAsync()).Kind);
        startup = await NextWaitAsync(ProbeKind.Startup);
        readiness = await NextWaitAsync(ProbeKind.Readiness);
        liveness = await NextWaitAsync(ProbeKind.Liveness);
        Assert.False(_manager.IsStarted("uid-1", "app", "c1"));
        Assert.False(_manager.IsReady("uid-1", "app", "c1"));

        (var call, startup) = await TickAsync(ProbeKind.Startup, startup);
        Assert.Equal(ProbeKind.Startup, call.Kind);
        // The third startup run succeeds (at t0+6); readiness runs at once, liveness on its own next tick.
        (call, _) = await TickAsync(ProbeKind.Startup, startup);
        Assert.Equal(new ProbeCall(ProbeKind.Startup, "c1", _t0.AddSeconds(6)), call);
        Assert.Equal(new ProbeCall(ProbeKind.Readiness, "c1", _t0.AddSeconds(6)), await NextCallAsync());
        Assert.Equal(_t0.AddSeconds(10), (await NextWaitAsync(ProbeKind.Readiness)).Until);
        Assert.True(_manager.IsStarted("uid-1", "app", "c1"));
        Assert.True(_manager.IsReady("uid-1", "app", "c1"));
        Assert.Equal(0, _runner.Count(ProbeKind.Liveness));

        _time.SetUtcNow(liveness.Until);
        var calls = new[] { await NextCallAsync(), await NextCallAsync() };
        Assert.Contains(new ProbeCall(ProbeKind.Liveness, "c1", _t0.AddSeconds(10)), calls);
        Assert.Equal(2, _events.Events.Count(e => e.Message.StartsWith("Startup probe failed: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_startup_probe_failing_past_its_threshold_raises_unhealthy()
    {
        var pod = Pod(startup: new V1Probe { PeriodSeconds = 1, FailureThreshold = 2, Exec = new V1ExecAction { Command = ["start"] } });
        _runner.Default[ProbeKind.Startup] = new ProbeOutcome(ProbeResult.Failure, "not yet");
        _manager.ContainerStarted(pod, "app", "c1", _t0, null);
        var wait = await NextWaitAsync(ProbeKind.Startup);
        (_, wait) = await TickAsync(ProbeKind.Startup, wait);
        await TickAsync(ProbeKind.Startup, wait);

        var failure = await _unhealthy.Reader.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal((ProbeKind.Startup, "StartupProbe", "Container app failed startup probe, will be restarted", "not yet"), (failure.Kind, failure.Reason, failure.Message, failure.Output));
        Assert.False(_manager.IsStarted("uid-1", "app", "c1"));
    }

    [Fact]
    public async Task An_errored_probe_is_retried_reported_and_not_counted()
    {
        var pod = Pod(liveness: new V1Probe { PeriodSeconds = 10, FailureThreshold = 1, HttpGet = new V1HTTPGetAction { Port = "metrics" } });
        _runner.Default[ProbeKind.Liveness] = new ProbeOutcome(ProbeResult.Unknown, "", "strconv.Atoi: parsing \"metrics\": invalid syntax");
        _manager.ContainerStarted(pod, "app", "c1", _t0, null);
        var wait = await NextWaitAsync(ProbeKind.Liveness);
        _time.SetUtcNow(wait.Until);
        await NextWaitAsync(ProbeKind.Liveness);

        Assert.Equal(3, _runner.Count(ProbeKind.Liveness));
        Assert.Equal(
            [new RecordedEvent(_events.Events[0].InvolvedObject, "Warning", "Unhealthy", "Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing \"metrics\": invalid syntax")],
            _events.Events);
        Assert.False(_unhealthy.Reader.TryRead(out _), "an errored run does not count as a failure");
    }

    [Fact]
    public async Task A_warning_counts_as_success_with_a_probe_warning_event()
    {
        var pod = Pod(readiness: new V1Probe { HttpGet = new V1HTTPGetAction { Port = 80 } });
        _runner.Default[ProbeKind.Readiness] = new ProbeOutcome(ProbeResult.Warning, "Probe terminated redirects, Response body: ");
        _manager.ContainerStarted(pod, "app", "c1", _t0, "10.0.0.5");
        var wait = await NextWaitAsync(ProbeKind.Readiness);
        await TickAsync(ProbeKind.Readiness, wait);

        Assert.True(_manager.IsReady("uid-1", "app", "c1"));
        var warning = Assert.Single(_events.Events);
        Assert.Equal(("Warning", "ProbeWarning", "Readiness probe warning: Probe terminated redirects, Response body: "), (warning.Type, warning.Reason, warning.Message));
    }

    [Fact]
    public async Task A_pod_being_deleted_stops_liveness_quietly()
    {
        var pod = Pod(liveness: new V1Probe { InitialDelaySeconds = 5, PeriodSeconds = 10, FailureThreshold = 1, Exec = new V1ExecAction { Command = ["x"] } });
        _runner.Default[ProbeKind.Liveness] = Bad;
        var exited = Channel.CreateUnbounded<(ProbeKind, string)>();
        _manager.WorkerExited += (kind, id) => exited.Writer.TryWrite((kind, id));
        _manager.ContainerStarted(pod, "app", "c1", _t0, null);
        var wait = await NextWaitAsync(ProbeKind.Liveness);

        var deleting = Pod(liveness: pod.Spec.Containers[0].LivenessProbe);
        deleting.Metadata.DeletionTimestamp = _t0.UtcDateTime;
        _manager.PodUpdated(deleting);
        _time.SetUtcNow(wait.Until);

        Assert.Equal((ProbeKind.Liveness, "c1"), await exited.Reader.ReadAsync().AsTask().WaitAsync(Guard));
        Assert.Equal(0, _runner.Count(ProbeKind.Liveness));
        Assert.False(_waits[ProbeKind.Liveness].Reader.TryRead(out _), "the worker stopped instead of waiting again");
        Assert.False(_unhealthy.Reader.TryRead(out _));
    }

    [Fact]
    public void Without_probes_a_container_is_ready_and_started_until_it_stops()
    {
        _manager.ContainerStarted(Pod(), "app", "c1", _t0, null);

        Assert.True(_manager.IsReady("uid-1", "app", "c1"));
        Assert.True(_manager.IsStarted("uid-1", "app", "c1"));
        _manager.ContainerStopped("uid-1", "app");
        Assert.False(_manager.IsReady("uid-1", "app", "c1"));
        Assert.False(_manager.IsStarted("uid-1", "app", "c1"));
        _manager.ContainerStarted(Pod(), "app", "c2", _t0, null);
        Assert.True(_manager.IsReady("uid-1", "app", "c2"));
        _manager.RemovePod("uid-1");
        Assert.True(_manager.IsReady("uid-1", "app", "c2"), "a container the manager does not know has no probes");
    }

    [Theory]
    [InlineData(null, null, 30L, null, 30)]
    [InlineData(null, 5L, 30L, null, 5)]
    [InlineData(7L, 5L, 30L, null, 7)]
    [InlineData(null, null, null, null, 2)]
    public void Grace_period_of_a_probe_kill_follows_upstream(long? deletionGrace, long? probeGrace, long? podGrace, object? unused, int expected)
    {
        _ = unused;
        var pod = Pod();
        pod.Metadata.DeletionGracePeriodSeconds = deletionGrace;
        pod.Spec.TerminationGracePeriodSeconds = podGrace;

        Assert.Equal(TimeSpan.FromSeconds(expected), ProbeManager.GracePeriod(pod, new V1Probe { TerminationGracePeriodSeconds = probeGrace }));
    }
}
