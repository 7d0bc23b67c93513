using Kubesharp.Storage;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Cache;

/// <summary>
/// The API server's watch cache (ARCHITECTURE.md decision 5): one storage watch over the whole
/// registry feeds a <see cref="ResourceCache"/> per resource, created on first use from a list at a
/// known revision. Because the one watch sees every write, <see cref="Revision"/> catches up with the
/// store's current revision, which is what makes a consistent list from memory possible: read the
/// store's revision, wait until the cache has seen it, answer from the cache.
/// </summary>
internal sealed partial class WatchCache : IAsyncDisposable
{
    private readonly IStore _store;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly Lock _routeGate = new();
    private readonly Dictionary<string, ResourceCache> _caches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ResourceCache>.AlternateLookup<ReadOnlySpan<char>> _byPrefix;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;
    private Task? _loop;
    private int _disposed;

    public WatchCache(IStore store, ILogger logger, int capacity = 8192)
    {
        _store = store;
        _logger = logger;
        _capacity = capacity;
        _byPrefix = _caches.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Every write up to this revision has been applied to the resource caches.</summary>
    public long Revision => Volatile.Read(ref _revision);

    /// <summary>Starts the storage watch at the store's current revision.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _revision, await _store.GetCurrentRevisionAsync(cancellationToken));
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>The cache of the resource stored under <paramref name="prefix"/>, loaded on first use.</summary>
    public async ValueTask<ResourceCache> GetAsync(string prefix, IReadOnlyList<string> fieldSelectors, CancellationToken cancellationToken)
    {
        while (true)
        {
            ResourceCache cache;
            long revision;
            bool created;
            lock (_routeGate)
            {
                created = !_caches.TryGetValue(prefix, out cache!) || cache.Closed;
                if (created)
                {
                    cache = new ResourceCache(prefix, fieldSelectors, _capacity);
                    _caches[prefix] = cache;
                }

                // Routing holds the same lock: every event after this revision reaches the new cache.
                revision = _revision;
            }

            if (created)
            {
                _ = LoadAsync(cache, revision);
            }

            try
            {
                await cache.Ready.WaitAsync(cancellationToken);
                return cache;
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
            {
                // The list revision was compacted before the list ran: make a new cache.
                lock (_routeGate)
                {
                    if (_caches.GetValueOrDefault(prefix) == cache)
                    {
                        _caches.Remove(prefix);
                    }
                }
            }
            catch (InvalidOperationException) when (cache.Closed)
            {
            }
        }
    }

    /// <summary>The cache of <paramref name="prefix"/> if it is loaded, without waiting.</summary>
    public ResourceCache? TryGetLoaded(string prefix)
    {
        lock (_routeGate)
        {
            return _caches.TryGetValue(prefix, out var cache) && cache.Ready.IsCompletedSuccessfully && !cache.Closed ? cache : null;
        }
    }

    /// <summary>Waits until the cache has seen <paramref name="revision"/>; false when it has not within <paramref name="timeout"/>.</summary>
    public async ValueTask<bool> WaitForRevisionAsync(long revision, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Revision >= revision)
        {
            return true;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                Task advanced;
                lock (_routeGate)
                {
                    if (_revision >= revision)
                    {
                        return true;
                    }

                    advanced = _advanced.Task;
                }

                await advanced.WaitAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        lock (_routeGate)
        {
            foreach (var cache in _caches.Values)
            {
                cache.Close();
            }
        }

        _stop.Dispose();
    }

    private async Task LoadAsync(ResourceCache cache, long revision)
    {
        try
        {
            var list = await _store.ListAsync(cache.Prefix, 0, null, revision, _stop.Token);
            cache.Load(list.Items, list.Revision);
        }
        catch (Exception e)
        {
            cache.Fail(e);
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in _store.WatchAsync(StoreLimits.RegistryRoot, Revision, token))
                {
                    Route(e);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
            {
                // Fell behind the kept history: every cache is stale. Drop them all (their watchers end
                // and come back); they are rebuilt from fresh lists on next use.
                Log.CacheReset(_logger, e);
                await ResetAsync(token);
            }
            catch (Exception e)
            {
                Log.WatchFailed(_logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ResetAsync(CancellationToken token)
    {
        var current = await _store.GetCurrentRevisionAsync(token);
        TaskCompletionSource advanced;
        lock (_routeGate)
        {
            foreach (var cache in _caches.Values)
            {
                cache.Close();
            }

            _caches.Clear();
            _revision = Math.Max(_revision, current);
            advanced = SwapAdvanced();
        }

        advanced.TrySetResult();
    }

    private void Route(WatchEvent e)
    {
        TaskCompletionSource advanced;
        lock (_routeGate)
        {
            if (Find(e.Kv.Key) is { } cache)
            {
                cache.Apply(e);
            }

            Volatile.Write(ref _revision, e.Revision);
            advanced = SwapAdvanced();
        }

        advanced.TrySetResult();
    }

    /// <summary>
    /// The cache whose prefix holds <paramref name="key"/>: <c>/registry/PLURAL/</c> for core kinds,
    /// <c>/registry/GROUP/PLURAL/</c> for the others (ResourceInfo.StoragePrefix).
    /// </summary>
    private ResourceCache? Find(string key)
    {
        var root = StoreLimits.RegistryRoot.Length;
        var first = key.IndexOf('/', root);
        if (first < 0)
        {
            return null;
        }

        if (_byPrefix.TryGetValue(key.AsSpan(0, first + 1), out var cache))
        {
            return cache;
        }

        var second = key.IndexOf('/', first + 1);
        return second >= 0 && _byPrefix.TryGetValue(key.AsSpan(0, second + 1), out cache) ? cache : null;
    }

    private TaskCompletionSource SwapAdvanced()
    {
        var advanced = _advanced;
        _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return advanced;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "watch cache: the storage watch fell behind the compacted history; caches are rebuilt")]
        public static partial void CacheReset(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "watch cache: the storage watch failed; retrying")]
        public static partial void WatchFailed(ILogger logger, Exception exception);
    }
}
