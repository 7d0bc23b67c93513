using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.EndpointSlices;
using Kubesharp.Controllers.Tests.Endpoints;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.EndpointSlices;

/// <summary>
/// The EndpointSlice controller over caches the test fills and a fake API; <see cref="Observe"/> makes the slice
/// cache what the API holds, as the informer would. Node <c>node-a</c> (zone <c>zone-1</c>) exists.
/// </summary>
internal sealed class EndpointSliceHarness : IDisposable
{
    public EndpointSliceHarness(int maxEndpointsPerSlice = 100)
    {
        Slices.AddIndexers(new Dictionary<string, IndexFunc<V1EndpointSlice>> { [EndpointSliceController.ServiceIndex] = EndpointSliceController.ByService });
        Nodes.Upsert(ServiceObjects.Node());
        Controller = new EndpointSliceController(Services, Pods, Nodes, Slices, Api, maxEndpointsPerSlice, Events, Clock, NullLogger.Instance);
    }

    public FakeClock Clock { get; } = new();

    public Indexer<V1Service> Services { get; } = new();

    public Indexer<V1Pod> Pods { get; } = new();

    public Indexer<V1Node> Nodes { get; } = new();

    public Indexer<V1EndpointSlice> Slices { get; } = new();

    public FakeEndpointSliceApi Api { get; } = new();

    public RecordingEventRecorder Events { get; } = new();

    public EndpointSliceController Controller { get; }

    public EndpointSliceHarness With(params V1Pod[] pods)
    {
        foreach (var pod in pods)
        {
            Pods.Upsert(pod);
        }

        return this;
    }

    public EndpointSliceHarness With(V1Service service)
    {
        Services.Upsert(service);
        return this;
    }

    public EndpointSliceHarness WithPods(int count, Func<int, V1Pod>? pod = null)
    {
        for (var i = 0; i < count; i++)
        {
            Pods.Upsert((pod ?? (n => ServiceObjects.Numbered(n)))(i));
        }

        return this;
    }

    public void Observe() => Slices.Replace(Api.Stored.Values);

    /// <summary>Syncs the service, then lets the cache see the result.</summary>
    public async Task<ReconcileResult> SyncAsync(string name = "web")
    {
        var result = await Controller.SyncAsync(ServiceObjects.Ns + "/" + name, CancellationToken.None);
        Observe();
        return result;
    }

    /// <summary>The slices' endpoint counts, in name order.</summary>
    public List<int> Counts() => [.. Api.Slices.Select(s => s.Endpoints?.Count ?? 0)];

    public void Dispose() => Controller.Dispose();
}
