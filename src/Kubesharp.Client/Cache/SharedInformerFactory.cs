using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Cache;

public sealed record SharedInformerFactoryOptions
{
    /// <summary>Resync period of every informer the factory makes; zero for none.</summary>
    public TimeSpan DefaultResyncPeriod { get; init; } = TimeSpan.Zero;

    /// <summary>When set, informer n (in creation order) is seeded with Seed + n.</summary>
    public int? Seed { get; init; }

    public ReflectorOptions Reflector { get; init; } = new();
}

/// <summary>
/// Hands out one shared informer per (type, namespace, label selector, field selector), so that every
/// controller of a process shares one LIST+WATCH and one cache per kind (client-go's
/// <c>SharedInformerFactory</c>). Thread-safe.
/// <para>
/// As in client-go, <see cref="Start"/> starts the informers asked for so far; an informer asked for
/// after it waits for the next <see cref="Start"/>. <see cref="WaitForCacheSyncAsync"/> waits for the
/// started ones.
/// </para>
/// </summary>
public sealed class SharedInformerFactory(IListWatchFactory listWatches, TimeProvider time, ILoggerFactory loggers, SharedInformerFactoryOptions? options = null) : IAsyncDisposable
{
    private readonly SharedInformerFactoryOptions _options = options ?? new();
    private readonly Lock _lock = new();
    private readonly Dictionary<(Type Type, string Namespace, string Labels, string Fields), ISharedInformer> _informers = [];
    private readonly Dictionary<ISharedInformer, Task> _running = [];
    private readonly CancellationTokenSource _stop = new();

    public SharedIndexInformer<T> GetInformer<T>(string? ns = null, string? labelSelector = null, string? fieldSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var key = (typeof(T), ns ?? "", labelSelector ?? "", fieldSelector ?? "");
        lock (_lock)
        {
            if (_informers.TryGetValue(key, out var existing))
            {
                return (SharedIndexInformer<T>)existing;
            }

            var name = $"{typeof(T).Name}{(string.IsNullOrEmpty(ns) ? "" : " in " + ns)}{(string.IsNullOrEmpty(labelSelector) ? "" : " l=" + labelSelector)}{(string.IsNullOrEmpty(fieldSelector) ? "" : " f=" + fieldSelector)}";
            var informer = new SharedIndexInformer<T>(
                listWatches.Create<T>(ns, labelSelector, fieldSelector),
                new SharedInformerOptions
                {
                    Name = name,
                    ResyncPeriod = _options.DefaultResyncPeriod,
                    Seed = _options.Seed + _informers.Count,
                    Reflector = _options.Reflector,
                },
                time,
                loggers);
            _informers[key] = informer;
            return informer;
        }
    }

    /// <summary>Starts every informer not yet started; they run until <paramref name="cancellationToken"/> is cancelled or the factory is shut down.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            foreach (var informer in _informers.Values)
            {
                if (_running.ContainsKey(informer))
                {
                    continue;
                }

                var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
                _running[informer] = Task.Run(async () =>
                {
                    using (linked)
                    {
                        await informer.RunAsync(linked.Token).ConfigureAwait(false);
                    }
                }, CancellationToken.None);
            }
        }
    }

    /// <summary>True once every started informer has synced; false if <paramref name="cancellationToken"/> is cancelled first.</summary>
    public Task<bool> WaitForCacheSyncAsync(CancellationToken cancellationToken)
    {
        ISharedInformer[] started;
        lock (_lock)
        {
            started = [.. _running.Keys];
        }

        return CacheSync.WaitForCacheSyncAsync(started, cancellationToken);
    }

    /// <summary>Stops every informer and waits for them to end.</summary>
    public async Task ShutdownAsync()
    {
        Task[] running;
        lock (_lock)
        {
            running = [.. _running.Values];
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}

public static class CacheSync
{
    /// <summary>
    /// Waits until every informer has synced (client-go's <c>WaitForCacheSync</c>); false if
    /// <paramref name="cancellationToken"/> is cancelled first. Never throws for cancellation.
    /// </summary>
    public static async Task<bool> WaitForCacheSyncAsync(IEnumerable<ISharedInformer> informers, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(informers.Select(i => i.WaitForSyncAsync(cancellationToken))).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
