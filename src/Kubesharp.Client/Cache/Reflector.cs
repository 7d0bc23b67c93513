using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Cache;

/// <summary>
/// Where a <see cref="Reflector{T}"/> puts what it lists and watches. Calls come from one reflector at a
/// time (its loop, plus its resync timer), and never overlap if the store serialises them.
/// </summary>
public interface IReflectorStore<in T>
{
    /// <summary>The complete current state, from a (re)list at <paramref name="resourceVersion"/>.</summary>
    void Replace(IReadOnlyList<T> items, string resourceVersion);

    void Add(T obj);

    void Update(T obj);

    /// <summary>A DELETED event: <paramref name="obj"/> is the object's final state.</summary>
    void Delete(T obj);

    /// <summary>Periodic resync: re-deliver the store's items to handlers as updates.</summary>
    void Resync();
}

public sealed record ReflectorOptions
{
    /// <summary>For logs, such as <c>v1/ConfigMap</c>.</summary>
    public string Name { get; init; } = "reflector";

    /// <summary>How often <see cref="IReflectorStore{T}.Resync"/> is called; zero turns resync off.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.Zero;

    /// <summary>Each watch asks the server to end it after a random time between this and twice this (client-go: 5 minutes).</summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Makes the back-off between failed attempts (default <see cref="ExponentialBackoff.ForReflector"/>).</summary>
    public Func<TimeProvider, Random, ExponentialBackoff> Backoff { get; init; } = ExponentialBackoff.ForReflector;
}

/// <summary>
/// Keeps a store in step with the API server for one resource (client-go's <c>Reflector.ListAndWatch</c>).
/// <list type="number">
/// <item>LIST (a consistent read at resourceVersion ""), then <see cref="IReflectorStore{T}.Replace"/>.</item>
/// <item>WATCH from the list's resourceVersion with bookmarks; every event goes to the store and moves the
/// last seen resourceVersion (a BOOKMARK only moves it).</item>
/// <item>When the server ends the watch (its timeout, a restart), WATCH again from the last seen version, at
/// once; a watch that ends within a second without any event counts as a failure (client-go's "very short watch").</item>
/// <item>410 Gone, as an HTTP status of the watch call or as an ERROR event with code 410: relist.
/// Any other ERROR event: relist. A failed list or watch call: back off and retry it (a watch from the
/// last seen version; if that version is gone by then, the 410 leads to a relist).</item>
/// <item>Every relist and every retry after a failure waits for <see cref="ExponentialBackoff.Next"/>
/// (client-go's <c>BackoffUntil</c>): 0.8 s to 30 s with jitter, from injected time and randomness.</item>
/// </list>
/// Runs until its token is cancelled; never throws anything else out of <see cref="RunAsync"/>.
/// </summary>
public sealed class Reflector<T>(ListWatch<T> listWatch, IReflectorStore<T> store, ReflectorOptions options, TimeProvider time, Random random, ILogger logger)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan ShortWatch = TimeSpan.FromSeconds(1);
    private readonly ExponentialBackoff _backoff = options.Backoff(time, random);
    private volatile string _lastResourceVersion = "";
    private volatile bool _listed;
    private long _lists;
    private long _watches;
    private long _expired;
    private long _failures;

    /// <summary>The newest resourceVersion the store has seen (list, event or bookmark); "" before the first list.</summary>
    public string LastSyncResourceVersion => _lastResourceVersion;

    public long Lists => Interlocked.Read(ref _lists);

    public long Watches => Interlocked.Read(ref _watches);

    /// <summary>Relists caused by 410 Gone.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>Failed list or watch calls and non-410 ERROR events.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var resync = options.ResyncPeriod > TimeSpan.Zero
            ? time.CreateTimer(static s => ((Reflector<T>)s!).OnResync(), this, options.ResyncPeriod, options.ResyncPeriod)
            : null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ListAndWatchAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failures);
                ReflectorLog.ListFailed(logger, options.Name, e);
            }

            if (!await DelayAsync(_backoff.Next(), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>One list followed by watches; returns when a relist is needed.</summary>
    private async Task ListAndWatchAsync(CancellationToken cancellationToken)
    {
        var list = await listWatch.ListAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _lists);
        store.Replace(list.Items, list.ResourceVersion);
        _lastResourceVersion = list.ResourceVersion;
        _listed = true;
        ReflectorLog.Listed(logger, options.Name, list.Items.Count, list.ResourceVersion);

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var timeout = options.MinWatchTimeout * (1 + random.NextDouble());
            var started = time.GetUtcNow();
            var events = 0;
            try
            {
                Interlocked.Increment(ref _watches);
                await foreach (var e in listWatch.WatchAsync(new WatchRequest(_lastResourceVersion, AllowBookmarks: true, timeout), cancellationToken).ConfigureAwait(false))
                {
                    events++;
                    if (e.Type == WatchEventType.Error)
                    {
                        if (ApiStatusException.IsGoneStatus(e.Status))
                        {
                            Interlocked.Increment(ref _expired);
                            ReflectorLog.Expired(logger, options.Name, _lastResourceVersion);
                            return;
                        }

                        throw new ApiStatusException(e.Status ?? new V1Status { Code = 500, Message = "ERROR event without a status" });
                    }

                    Apply(e);
                }
            }
            catch (ApiStatusException e) when (e.IsGone)
            {
                Interlocked.Increment(ref _expired);
                ReflectorLog.Expired(logger, options.Name, _lastResourceVersion);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException and not ApiStatusException and not InvalidDataException)
            {
                // The watch call or its stream broke (connection refused, reset): retry the watch after a
                // back-off from the version we have; no need to relist unless that version is gone.
                Interlocked.Increment(ref _failures);
                ReflectorLog.WatchFailed(logger, options.Name, _lastResourceVersion, e);
                if (!await DelayAsync(_backoff.Next(), cancellationToken).ConfigureAwait(false))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                continue;
            }

            if (events == 0 && time.GetUtcNow() - started < ShortWatch)
            {
                Interlocked.Increment(ref _failures);
                ReflectorLog.ShortWatch(logger, options.Name, _lastResourceVersion);
                if (!await DelayAsync(_backoff.Next(), cancellationToken).ConfigureAwait(false))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
    }

    private void Apply(WatchEvent<T> e)
    {
        var item = e.Item ?? throw new InvalidDataException($"{e.Type} watch event without an object");
        switch (e.Type)
        {
            case WatchEventType.Added:
                store.Add(item);
                break;
            case WatchEventType.Modified:
                store.Update(item);
                break;
            case WatchEventType.Deleted:
                store.Delete(item);
                break;
            case WatchEventType.Bookmark:
                break;
            default:
                throw new InvalidDataException($"unexpected watch event type {e.Type}");
        }

        if (item.Metadata?.ResourceVersion is { Length: > 0 } rv)
        {
            _lastResourceVersion = rv;
        }
    }

    private void OnResync()
    {
        if (!_listed)
        {
            return;
        }

        try
        {
            store.Resync();
        }
        catch (Exception e)
        {
            ReflectorLog.ResyncFailed(logger, options.Name, e);
        }
    }

    private Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken) => time.SleepAsync(delay, cancellationToken);
}

internal static partial class ReflectorLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "{Reflector}: listed {Count} objects at rv={ResourceVersion}")]
    public static partial void Listed(ILogger logger, string reflector, int count, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: list and watch failed; backing off")]
    public static partial void ListFailed(ILogger logger, string reflector, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: watch from rv={ResourceVersion} failed; backing off")]
    public static partial void WatchFailed(ILogger logger, string reflector, string resourceVersion, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Reflector}: watch from rv={ResourceVersion} expired (410 Gone); relisting")]
    public static partial void Expired(ILogger logger, string reflector, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reflector}: watch from rv={ResourceVersion} ended within a second without events; backing off")]
    public static partial void ShortWatch(ILogger logger, string reflector, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reflector}: resync failed")]
    public static partial void ResyncFailed(ILogger logger, string reflector, Exception exception);
}
