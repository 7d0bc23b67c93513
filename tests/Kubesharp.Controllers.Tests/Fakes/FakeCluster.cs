using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>
/// Informer caches filled directly: every informer the controllers ask the factory for lists the objects seeded
/// for its type (whatever its selectors), then watches a <see cref="FakeListWatch{T}"/> stream the test can
/// write to. Time is a <see cref="FakeClock"/>. Start after the controller is built (it asks for its informers).
/// </summary>
internal sealed class FakeCluster : IListWatchFactory, IAsyncDisposable
{
    private readonly Dictionary<Type, List<object>> _seeded = [];
    private readonly List<Action> _answerLists = [];
    private readonly CancellationTokenSource _stop = new();

    public FakeCluster()
    {
        Informers = new SharedInformerFactory(this, Clock, NullLoggerFactory.Instance, new SharedInformerFactoryOptions { Seed = 1 });
    }

    public FakeClock Clock { get; } = new();

    public SharedInformerFactory Informers { get; }

    public void Seed<T>(params T[] items)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (!_seeded.TryGetValue(typeof(T), out var list))
        {
            _seeded[typeof(T)] = list = [];
        }

        list.AddRange(items);
    }

    public ListWatch<T> Create<T>(string? ns, string? labelSelector, string? fieldSelector)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var fake = new FakeListWatch<T>();
        _answerLists.Add(() => fake.AddList("1", [.. (_seeded.GetValueOrDefault(typeof(T)) ?? []).Cast<T>()]));
        return fake.ListWatch;
    }

    /// <summary>Answers every informer's list with what was seeded and waits for the caches.</summary>
    public async Task StartAsync()
    {
        foreach (var answer in _answerLists)
        {
            answer();
        }

        Informers.Start(_stop.Token);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await Informers.WaitForCacheSyncAsync(timeout.Token), "the fake caches did not sync");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Informers.DisposeAsync();
        _stop.Dispose();
    }
}
