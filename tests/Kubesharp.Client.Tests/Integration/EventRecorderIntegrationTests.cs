using k8s;
using k8s.Models;
using Kubesharp.Client.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Integration;

public sealed class EventRecorderIntegrationTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task Three_identical_events_become_one_event_with_count_3()
    {
        using var client = server.Client();
        const string ns = "events-test";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        var cm = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "subject" } }, ns);
        cm.ApiVersion = "v1";
        cm.Kind = "ConfigMap";
        var recorder = new EventRecorder(new KubernetesEventSink(client), new EventRecorderOptions { Component = "client-tests", Host = "test-host" }, TimeProvider.System, NullLogger.Instance);
        recorder.Start();

        for (var i = 0; i < 3; i++)
        {
            recorder.Event(cm, EventTypes.Warning, "TestReason", "the same message");
        }

        recorder.Event(cm, EventTypes.Normal, "Other", "a different event");
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await recorder.StopAsync(stop.Token);
        }

        var events = (await client.CoreV1.ListNamespacedEventAsync(ns)).Items;
        var folded = Assert.Single(events, e => e.Reason == "TestReason");
        Assert.Equal((3, "the same message", "Warning"), (folded.Count, folded.Message, folded.Type));
        Assert.Equal(("ConfigMap", "subject", cm.Metadata.Uid), (folded.InvolvedObject.Kind, folded.InvolvedObject.Name, folded.InvolvedObject.Uid));
        Assert.Equal(("client-tests", "test-host"), (folded.Source.Component, folded.Source.Host));
        Assert.StartsWith("subject.", folded.Metadata.Name, StringComparison.Ordinal);
        Assert.True(folded.LastTimestamp >= folded.FirstTimestamp, $"first {folded.FirstTimestamp:O} last {folded.LastTimestamp:O}");
        Assert.Equal(1, Assert.Single(events, e => e.Reason == "Other").Count);
        Assert.Equal((2L, 2L, 0L, 0L), (recorder.Created, recorder.Patched, recorder.Dropped, recorder.Failed));
    }
}
