using System.Text.RegularExpressions;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;
using static Kubesharp.Client.Tests.TestObjects;

namespace Kubesharp.Client.Tests.Events;

public sealed partial class EventRecorderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeClock _clock = new();
    private readonly FakeEventSink _sink = new();

    private EventRecorder Recorder(int capacity = 1000) =>
        new(_sink, new EventRecorderOptions { Component = "test-controller", Host = "node-1", QueueCapacity = capacity, RetryDelay = TimeSpan.Zero }, _clock, NullLogger.Instance);

    [GeneratedRegex(@"^a\.[0-9a-f]+$")]
    private static partial Regex EventName();

    [Fact]
    public async Task Three_identical_events_fold_into_one_with_count_3()
    {
        var recorder = Recorder();
        recorder.Start();
        var cm = Cm("a", "5", ns: "x");

        recorder.Event(cm, EventTypes.Warning, "FailedSync", "boom");
        _clock.Advance(TimeSpan.FromSeconds(3));
        recorder.Event(cm, EventTypes.Warning, "FailedSync", "boom");
        _clock.Advance(TimeSpan.FromSeconds(4));
        recorder.Event(cm, EventTypes.Warning, "FailedSync", "boom");
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);

        var ev = Assert.Single(_sink.Events);
        Assert.Matches(EventName(), ev.Metadata.Name);
        Assert.Equal(("x", 3, "FailedSync", "boom", "Warning"), (ev.Metadata.NamespaceProperty, ev.Count!.Value, ev.Reason, ev.Message, ev.Type));
        Assert.Equal(("test-controller", "node-1"), (ev.Source.Component, ev.Source.Host));
        Assert.Equal(("ConfigMap", "x", "a"), (ev.InvolvedObject.Kind, ev.InvolvedObject.NamespaceProperty, ev.InvolvedObject.Name));
        Assert.Equal(TimeSpan.FromSeconds(7), ev.LastTimestamp!.Value - ev.FirstTimestamp!.Value);
        Assert.Equal((1L, 2L, 0L), (recorder.Created, recorder.Patched, recorder.Dropped));
        Assert.Equal(["create " + ev.Metadata.Name, $"patch {ev.Metadata.Name} count=2", $"patch {ev.Metadata.Name} count=3"], _sink.Calls);
    }

    [Theory]
    [InlineData("another reason", "Other", "boom", EventTypes.Warning)]
    [InlineData("another message", "FailedSync", "bang", EventTypes.Warning)]
    [InlineData("another type", "FailedSync", "boom", EventTypes.Normal)]
    public async Task Events_that_differ_are_not_folded(string name, string reason, string message, string type)
    {
        var recorder = Recorder();
        recorder.Start();
        var cm = Cm("a", "5");

        recorder.Event(cm, EventTypes.Warning, "FailedSync", "boom");
        recorder.Event(cm, type, reason, message);
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.True(_sink.Events.Count == 2, $"{name}: expected two events, got {_sink.Events.Count}");
        Assert.Equal(2, _sink.Events.Select(e => e.Metadata.Name).Distinct().Count());
    }

    [Fact]
    public async Task A_repeat_after_the_window_starts_a_new_event()
    {
        var recorder = Recorder();
        recorder.Start();
        var cm = Cm("a", "5");

        recorder.Event(cm, EventTypes.Normal, "Synced", "ok");
        _clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        recorder.Event(cm, EventTypes.Normal, "Synced", "ok");
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([1, 1], _sink.Events.Select(e => e.Count!.Value));
    }

    [Fact]
    public async Task A_recorder_whose_event_vanished_creates_a_fresh_one()
    {
        var recorder = Recorder();
        recorder.Start();
        var cm = Cm("a", "5");
        var gate = new TaskCompletionSource();

        recorder.Event(cm, EventTypes.Normal, "Synced", "ok");
        await WaitForCalls(1);
        _sink.Gate = gate.Task;
        _sink.Delete("default", _sink.Events[0].Metadata.Name);
        recorder.Event(cm, EventTypes.Normal, "Synced", "ok");
        gate.SetResult();
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(1, Assert.Single(_sink.Events).Count);
        Assert.Equal(2L, recorder.Created);
    }

    [Fact]
    public async Task Event_never_blocks_and_drops_what_does_not_fit()
    {
        var recorder = Recorder(capacity: 2);

        for (var i = 0; i < 5; i++)
        {
            recorder.Event(Cm("a", "5"), EventTypes.Normal, "Synced", "message " + i);
        }

        Assert.Equal(3L, recorder.Dropped);
        recorder.Start();
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.Equal(2, _sink.Events.Count);
    }

    [Fact]
    public async Task Failed_writes_are_retried_then_given_up_and_counted()
    {
        var recorder = Recorder();
        _sink.FailNext(2);
        recorder.Start();
        recorder.Event(Cm("a", "5"), EventTypes.Normal, "Synced", "retried");
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.Single(_sink.Events);

        var failing = Recorder();
        _sink.FailNext(3);
        failing.Start();
        failing.Event(Cm("b", "5"), EventTypes.Normal, "Synced", "lost");
        await failing.StopAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.Equal((1L, 0L), (failing.Failed, failing.Created));
        Assert.Single(_sink.Events);
    }

    [Fact]
    public async Task Event_names_are_unique_even_when_the_clock_stands_still()
    {
        var recorder = Recorder(capacity: 10);
        var ev = Cm("a", "5");

        recorder.Event(ev, EventTypes.Normal, "A", "1");
        recorder.Event(ev, EventTypes.Normal, "B", "2");
        recorder.Start();

        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.Equal(2, _sink.Events.Select(e => e.Metadata.Name).Distinct().Count());
    }

    [Fact]
    public async Task Cluster_scoped_objects_get_events_in_the_default_namespace()
    {
        var recorder = Recorder();
        recorder.Start();

        recorder.Event(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "n1" } }, EventTypes.Normal, "Ready", "ok");
        await recorder.StopAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal("default", Assert.Single(_sink.Events).Metadata.NamespaceProperty);
    }

    private async Task WaitForCalls(int count)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (_sink.Calls.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} sink calls");
            await Task.Delay(5);
        }
    }
}
