using System.Collections.Immutable;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Cache;

/// <summary>An informer of any type, for waiting on caches and running informers together.</summary>
public interface ISharedInformer
{
    string Name { get; }

    /// <summary>True once the first list is in the cache.</summary>
    bool HasSynced { get; }

    /// <summary>Completes when <see cref="HasSynced"/> becomes true.</summary>
    Task WaitForSyncAsync(CancellationToken cancellationToken);

    /// <summary>Runs the informer until <paramref name="cancellationToken"/> is cancelled. Once per informer.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}

public sealed record SharedInformerOptions
{
    public string Name { get; init; } = "informer";

    /// <summary>Every period, each handler gets <c>OnUpdate(obj, obj)</c> for every cached object; zero for never.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.Zero;

    /// <summary>Seeds the reflector's back-off jitter and watch timeouts; null for an unseeded source.</summary>
    public int? Seed { get; init; }

    /// <summary>Reflector tuning (back-off, watch timeout); <see cref="ReflectorOptions.Name"/> and <see cref="ReflectorOptions.ResyncPeriod"/> are taken from here.</summary>
    public ReflectorOptions Reflector { get; init; } = new();
}

/// <summary>
/// A cache of one resource kind kept by a <see cref="Reflector{T}"/>, with indexes, a lister, and any
/// number of event handlers (client-go's <c>sharedIndexInformer</c>).
/// <para>
/// Every change is applied to the cache and queued to every handler under one lock, so handlers see
/// changes in cache order, and a handler added at any time sees each object exactly once as an add
/// (existing objects as synthetic adds) before any later change of it. Indexers can be added until the
/// cache holds items. See <see cref="IResourceEventHandler{T}"/> for the delivery contract.
/// </para>
/// </summary>
public sealed class SharedIndexInformer<T> : ISharedInformer
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ListWatch<T> _listWatch;
    private readonly SharedInformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Indexer<T> _indexer = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableArray<ProcessorListener<T>> _listeners = [];
    private readonly List<Task> _listenerTasks = [];
    private CancellationToken _runToken;
    private bool _started;
    private bool _hasSynced;
    private Reflector<T>? _reflector;

    public SharedIndexInformer(ListWatch<T> listWatch, SharedInformerOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        _listWatch = listWatch;
        _options = options;
        _time = time;
        _logger = loggers.CreateLogger("informer");
        Lister = new Lister<T>(_indexer);
    }

    public string Name => _options.Name;

    public IIndexReader<T> Indexer => _indexer;

    public Lister<T> Lister { get; }

    public bool HasSynced => Volatile.Read(ref _hasSynced);

    /// <summary>The reflector's last seen resourceVersion; "" before the first list.</summary>
    public string LastSyncResourceVersion => _reflector?.LastSyncResourceVersion ?? "";

    /// <summary>The reflector, once started: its counters (lists, watches, 410s, failures).</summary>
    public Reflector<T>? Reflector => _reflector;

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Adds indexes; see <see cref="Indexer{T}.AddIndexers"/>.</summary>
    public void AddIndexers(IReadOnlyDictionary<string, IndexFunc<T>> indexers) => _indexer.AddIndexers(indexers);

    /// <summary>
    /// Adds a handler, before or after start. Added after the first list, it first gets an add for every
    /// cached object, then changes as they come.
    /// </summary>
    public IHandlerRegistration AddEventHandler(IResourceEventHandler<T> handler)
    {
        var listener = new ProcessorListener<T>(handler, _options.Name, _logger);
        lock (_lock)
        {
            if (_hasSynced)
            {
                foreach (var item in _indexer.List())
                {
                    listener.Enqueue(new Notification<T>(NotificationKind.Add, null, item, false));
                }

                listener.Enqueue(new Notification<T>(NotificationKind.Synced, null, null, false));
            }

            _listeners = _listeners.Add(listener);
            if (_started)
            {
                _listenerTasks.Add(Task.Run(() => listener.RunAsync(_runToken), CancellationToken.None));
            }
        }

        return listener;
    }

    /// <summary>Stops delivering to a handler; what is queued for it is dropped.</summary>
    public void RemoveEventHandler(IHandlerRegistration registration)
    {
        lock (_lock)
        {
            if (registration is ProcessorListener<T> listener && _listeners.Contains(listener))
            {
                _listeners = _listeners.Remove(listener);
                listener.Stop();
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_lock)
        {
            if (_started)
            {
                throw new InvalidOperationException($"informer {_options.Name} was already started");
            }

            _started = true;
            _runToken = cancellationToken;
            foreach (var listener in _listeners)
            {
                _listenerTasks.Add(Task.Run(() => listener.RunAsync(cancellationToken), CancellationToken.None));
            }
        }

        var random = _options.Seed is { } seed ? new Random(seed) : new Random();
        var reflectorOptions = _options.Reflector with { Name = _options.Name, ResyncPeriod = _options.ResyncPeriod };
        _reflector = new Reflector<T>(_listWatch, new Store(this), reflectorOptions, _time, random, _logger);
        await _reflector.RunAsync(cancellationToken).ConfigureAwait(false);

        lock (_lock)
        {
            foreach (var listener in _listeners)
            {
                listener.Stop();
            }

            running = [.. _listenerTasks];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private void Distribute(Notification<T> notification)
    {
        foreach (var listener in _listeners)
        {
            listener.Enqueue(notification);
        }
    }

    /// <summary>The reflector's view of this informer: cache writes plus notifications, under the informer's lock.</summary>
    private sealed class Store(SharedIndexInformer<T> informer) : IReflectorStore<T>
    {
        public void Replace(IReadOnlyList<T> items, string resourceVersion)
        {
            lock (informer._lock)
            {
                var old = informer._indexer.Replace(items);
                foreach (var item in items)
                {
                    // client-go's Replaced delta: an update for objects the cache already had.
                    informer.Distribute(old.Remove(ObjectKeys.For(item), out var previous)
                        ? new Notification<T>(NotificationKind.Update, previous, item, false)
                        : new Notification<T>(NotificationKind.Add, null, item, false));
                }

                foreach (var gone in old.Values)
                {
                    informer.Distribute(new Notification<T>(NotificationKind.Delete, gone, null, FinalStateUnknown: true));
                }

                if (!informer._hasSynced)
                {
                    informer.Distribute(new Notification<T>(NotificationKind.Synced, null, null, false));
                    Volatile.Write(ref informer._hasSynced, true);
                    informer._synced.TrySetResult();
                }
            }
        }

        public void Add(T obj) => Upsert(obj);

        public void Update(T obj) => Upsert(obj);

        private void Upsert(T obj)
        {
            lock (informer._lock)
            {
                var old = informer._indexer.Upsert(obj);
                informer.Distribute(old is null
                    ? new Notification<T>(NotificationKind.Add, null, obj, false)
                    : new Notification<T>(NotificationKind.Update, old, obj, false));
            }
        }

        public void Delete(T obj)
        {
            lock (informer._lock)
            {
                // A delete of an object the cache never had (created and deleted between list and watch) is not news.
                if (informer._indexer.Delete(ObjectKeys.For(obj)) is not null)
                {
                    informer.Distribute(new Notification<T>(NotificationKind.Delete, obj, null, false));
                }
            }
        }

        public void Resync()
        {
            lock (informer._lock)
            {
                foreach (var item in informer._indexer.List())
                {
                    informer.Distribute(new Notification<T>(NotificationKind.Update, item, item, false));
                }
            }
        }
    }
}

internal static partial class InformerLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "{Informer}: event handler failed on {Notification}")]
    public static partial void HandlerFailed(ILogger logger, string informer, string notification, Exception exception);
}
