using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Bench.Scheduler;

/// <summary>
/// The bindings of one namespace as the API reports them: an informer (list, then watch) on the pods with
/// <c>spec.nodeName</c> set, recording when each pod was first seen bound, on <see cref="Clock"/>. A pod enters that
/// selection when its binding is written, so the informer adds it then (the server sends ADDED for an object that
/// starts matching a watch's selector). Counters are safe to read from any thread.
/// </summary>
internal sealed class BoundPods : IAsyncDisposable
{
    private readonly SharedInformerFactory _informers;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private int _initial;
    private int _measured;
    private long _lastMeasuredTicks;

    private BoundPods(Kubernetes client, string ns, Stopwatch clock)
    {
        Clock = clock;
        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        var pods = _informers.GetInformer<V1Pod>(ns, fieldSelector: "spec.nodeName!=");
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod> { AddFunc = Seen, UpdateFunc = (_, pod) => Seen(pod) });
    }

    public Stopwatch Clock { get; }

    public int Initial => Volatile.Read(ref _initial);

    public int Measured => Volatile.Read(ref _measured);

    /// <summary>When the last measured pod was seen bound, on <see cref="Clock"/>.</summary>
    public TimeSpan LastMeasuredAt => TimeSpan.FromTicks(Interlocked.Read(ref _lastMeasuredTicks));

    public static async Task<BoundPods> StartAsync(Kubernetes client, string ns, Stopwatch clock)
    {
        var bound = new BoundPods(client, ns, clock);
        bound._informers.Start(CancellationToken.None);
        using var sync = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        if (!await bound._informers.WaitForCacheSyncAsync(sync.Token))
        {
            throw new TimeoutException("the informer on bound pods did not sync");
        }

        return bound;
    }

    private void Seen(V1Pod pod)
    {
        var name = pod.Metadata.Name;
        if (string.IsNullOrEmpty(pod.Spec?.NodeName) || !_seen.TryAdd(name, 0))
        {
            return;
        }

        if (name.StartsWith(Workload.MeasuredPrefix, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _measured);
            var now = Clock.Elapsed.Ticks;
            long last;
            while ((last = Interlocked.Read(ref _lastMeasuredTicks)) < now && Interlocked.CompareExchange(ref _lastMeasuredTicks, now, last) != last)
            {
            }
        }
        else if (name.StartsWith(Workload.InitialPrefix, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _initial);
        }
    }

    public ValueTask DisposeAsync() => _informers.DisposeAsync();
}
