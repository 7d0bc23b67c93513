using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.WorkQueue;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Controllers;

/// <summary>
/// The base of a level-based controller: a rate-limited work queue of keys and N workers, each looping
/// get → <see cref="ReconcileAsync"/> → done.
/// <list type="bullet">
/// <item>A key is reconciled by one worker at a time (the queue's guarantee); changes that arrive meanwhile fold into one more pass.</item>
/// <item><see cref="ReconcileResult.Done"/>: the key's back-off is forgotten. <see cref="ReconcileResult.RequeueAfter"/>:
/// forgotten too, and the key comes back after the delay. An exception: logged, counted in
/// <see cref="Failures"/>, and the key comes back after its rate-limited back-off.</item>
/// <item>Nothing escapes a worker: the loop ends only when the queue shuts down.</item>
/// <item>Shutdown (the run token cancelled): the queue shuts down, workers take no new key (keys still
/// queued are left: the next leader or process starts from current state anyway), and reconciles in flight
/// get up to <see cref="DrainTimeout"/> to finish before their token is cancelled.</item>
/// </list>
/// </summary>
public abstract partial class QueueController : IController, IDisposable
{
    private readonly RateLimitingQueue<string> _queue;
    private long _reconciles;
    private long _failures;

    protected QueueController(string name, TimeProvider time, ILogger logger, IRateLimiter<string>? rateLimiter = null)
    {
        Name = name;
        Time = time;
        Logger = logger;
        _queue = new RateLimitingQueue<string>(rateLimiter ?? RateLimiters.DefaultController<string>(time), time);
    }

    public string Name { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    public IRateLimitingQueue<string> Queue => _queue;

    /// <summary>How long reconciles in flight may run on after shutdown before their token is cancelled.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconciles finished, successfully or not.</summary>
    public long Reconciles => Interlocked.Read(ref _reconciles);

    /// <summary>Reconciles that threw.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The caches <see cref="ReconcileAsync"/> reads; workers start once all have synced.</summary>
    protected virtual IEnumerable<ISharedInformer> Informers => [];

    /// <summary>Brings the object under <paramref name="key"/> to its desired state, from the caches' current state.</summary>
    protected abstract Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken);

    public void Enqueue(string key) => _queue.Add(key);

    public void Enqueue(IKubernetesObject<V1ObjectMeta> obj) => _queue.Add(ObjectKeys.For(obj));

    /// <summary>A handler that enqueues the key of every added, updated or deleted object.</summary>
    protected IResourceEventHandler<T> EnqueueOnChange<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new ResourceEventHandlerFuncs<T>
        {
            AddFunc = Enqueue,
            UpdateFunc = (_, obj) => Enqueue(obj),
            DeleteFunc = (obj, _) => Enqueue(obj),
        };

    public async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        if (!await CacheSync.WaitForCacheSyncAsync(Informers, cancellationToken).ConfigureAwait(false))
        {
            _queue.ShutDown();
            return;
        }

        Log.Started(Logger, Name, workers);
        using var hardStop = new CancellationTokenSource();
        var running = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            running[i] = Task.Run(() => WorkerAsync(cancellationToken, hardStop.Token), CancellationToken.None);
        }

        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: drain below.
        }

        using (var drain = new CancellationTokenSource(DrainTimeout, Time))
        {
            try
            {
                await _queue.ShutDownWithDrainAsync(drain.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.DrainTimedOut(Logger, Name, DrainTimeout);
                await hardStop.CancelAsync().ConfigureAwait(false);
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        Log.Stopped(Logger, Name);
    }

    private async Task WorkerAsync(CancellationToken stopping, CancellationToken hardStop)
    {
        while (true)
        {
            var (key, shutdown) = await _queue.GetAsync(CancellationToken.None).ConfigureAwait(false);
            if (shutdown)
            {
                return;
            }

            if (stopping.IsCancellationRequested)
            {
                _queue.Done(key);
                return;
            }

            await ProcessAsync(key, hardStop).ConfigureAwait(false);
        }
    }

    /// <summary>One reconcile of one key, with the queue bookkeeping around it; never throws.</summary>
    internal async Task ProcessAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var result = await ReconcileAsync(key, cancellationToken).ConfigureAwait(false);
            _queue.Forget(key);
            if (result.Requeue is { } delay)
            {
                _queue.AddAfter(key, delay);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            if (IsConflict(e))
            {
                // A stale cache losing an optimistic-concurrency race is routine: the retry reads the newer object.
                Log.ReconcileConflict(Logger, Name, key, e.Message);
            }
            else
            {
                Log.ReconcileFailed(Logger, Name, key, _queue.NumRequeues(key), e);
            }

            _queue.AddRateLimited(key);
        }
        finally
        {
            Interlocked.Increment(ref _reconciles);
            _queue.Done(key);
        }
    }

    private static bool IsConflict(Exception e) => e switch
    {
        ApiStatusException { Status.Code: 409, Status.Reason: "Conflict" } => true,
        k8s.Autorest.HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Conflict } h => !h.Response.Content.Contains("\"AlreadyExists\"", StringComparison.Ordinal),
        _ => false,
    };

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _queue.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Controller}: caches synced, starting {Workers} workers")]
        public static partial void Started(ILogger logger, string controller, int workers);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Controller}: stopped")]
        public static partial void Stopped(ILogger logger, string controller);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Controller}: reconciles still running after {Timeout}; cancelling them")]
        public static partial void DrainTimedOut(ILogger logger, string controller, TimeSpan timeout);

        [LoggerMessage(Level = LogLevel.Error, Message = "{Controller}: reconcile of {Key} failed (retry {Requeues}); requeued with back-off")]
        public static partial void ReconcileFailed(ILogger logger, string controller, string key, int requeues, Exception exception);

        [LoggerMessage(Level = LogLevel.Debug, Message = "{Controller}: reconcile of {Key} lost a write conflict ({Reason}); requeued")]
        public static partial void ReconcileConflict(ILogger logger, string controller, string key, string reason);
    }
}
