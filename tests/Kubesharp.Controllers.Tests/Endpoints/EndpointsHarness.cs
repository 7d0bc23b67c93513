using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Endpoints;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Endpoints;

/// <summary>
/// The endpoints controller over caches the test fills (<see cref="Services"/>, <see cref="Pods"/>) and a fake API;
/// <see cref="Observe"/> makes the Endpoints cache what the API holds, as the informer would.
/// </summary>
internal sealed class EndpointsHarness : IDisposable
{
    public EndpointsHarness()
    {
        Controller = new EndpointsController(Services, Pods, Endpoints, Api, Events, Clock, NullLogger.Instance);
    }

    public FakeClock Clock { get; } = new();

    public Indexer<V1Service> Services { get; } = new();

    public Indexer<V1Pod> Pods { get; } = new();

    public Indexer<V1Endpoints> Endpoints { get; } = new();

    public FakeEndpointsApi Api { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public EndpointsController Controller { get; }

    public EndpointsHarness With(params V1Pod[] pods)
    {
        foreach (var pod in pods)
        {
            Pods.Upsert(pod);
        }

        return this;
    }

    public EndpointsHarness With(V1Service service)
    {
        Services.Upsert(service);
        return this;
    }

    public void Observe() => Endpoints.Replace(Api.Stored.Values);

    /// <summary>Syncs the service, then lets the cache see the result.</summary>
    public async Task<ReconcileResult> SyncAsync(string name = "web")
    {
        var result = await Controller.SyncAsync(ServiceObjects.Ns + "/" + name, CancellationToken.None);
        Observe();
        return result;
    }

    /// <summary>The keys queued, in order (taken off the queue).</summary>
    public async Task<List<string>> DrainQueueAsync()
    {
        var keys = new List<string>();
        while (Controller.Queue.Count > 0)
        {
            var (key, _) = await Controller.Queue.GetAsync(CancellationToken.None);
            keys.Add(key);
            Controller.Queue.Done(key);
        }

        return keys;
    }

    public void Dispose() => Controller.Dispose();
}
