using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Events;

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>Records events about objects (client-go's <c>record.EventRecorder</c>).</summary>
public interface IEventRecorder
{
    /// <summary>
    /// Records an event about <paramref name="involvedObject"/>. Never blocks and never throws for the
    /// API: the event is queued and written in the background, or dropped (and counted) if the queue is full.
    /// </summary>
    void Event(V1ObjectReference involvedObject, string type, string reason, string message);
}

public static class EventRecorderExtensions
{
    public static void Event(this IEventRecorder recorder, IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message) =>
        recorder.Event(ReferenceTo(obj), type, reason, message);

    public static V1ObjectReference ReferenceTo(IKubernetesObject<V1ObjectMeta> obj) => new()
    {
        ApiVersion = obj.ApiVersion,
        Kind = obj.Kind,
        Name = obj.Metadata?.Name,
        NamespaceProperty = obj.Metadata?.NamespaceProperty,
        Uid = obj.Metadata?.Uid,
        ResourceVersion = obj.Metadata?.ResourceVersion,
    };
}

public sealed record EventRecorderOptions
{
    /// <summary><c>source.component</c> and <c>reportingComponent</c>: <c>replicaset-controller</c>.</summary>
    public required string Component { get; init; }

    /// <summary><c>source.host</c> and <c>reportingInstance</c>.</summary>
    public string Host { get; init; } = "";

    /// <summary>Events waiting to be written; more are dropped (client-go's broadcaster queue is 1000 too).</summary>
    public int QueueCapacity { get; init; } = 1000;

    /// <summary>Repeats of an event within this time of its last occurrence fold into it.</summary>
    public TimeSpan FoldWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Distinct events remembered for folding (least recently seen forgotten first; client-go: 4096).</summary>
    public int CacheSize { get; init; } = 4096;

    /// <summary>Attempts per write before the event is dropped.</summary>
    public int MaxAttempts { get; init; } = 3;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Writes core/v1 Events in the background, folding repeats as client-go's <c>EventCorrelator</c> does:
/// an event with the same involved object, type, reason, message and source as one written within
/// <see cref="EventRecorderOptions.FoldWindow"/> increments that Event's <c>count</c> and moves its
/// <c>lastTimestamp</c> (a PATCH) instead of creating a new Event. New Events are named
/// <c>&lt;object name&gt;.&lt;hex nanoseconds&gt;</c>, in the object's namespace (<c>default</c> for
/// cluster-scoped objects).
/// <para>
/// Flow: <see cref="Event"/> builds the event and offers it to a bounded channel
/// (<see cref="EventRecorderOptions.QueueCapacity"/>); when the channel is full the event is dropped and
/// counted in <see cref="Dropped"/>, so callers never wait on the API. One writer task drains the channel
/// in order. Not implemented from client-go: the aggregation of similar events with different messages
/// and the per-object spam filter.
/// </para>
/// </summary>
public sealed partial class EventRecorder : IEventRecorder, IAsyncDisposable
{
    private readonly IEventSink _sink;
    private readonly EventRecorderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Corev1Event> _queue;
    private readonly Dictionary<string, LinkedListNode<Folded>> _seen = new(StringComparer.Ordinal);
    private readonly LinkedList<Folded> _lru = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _nameLock = new();
    private long _lastNanos;
    private Task? _writer;
    private long _dropped;
    private long _created;
    private long _patched;
    private long _failed;

    public EventRecorder(IEventSink sink, EventRecorderOptions options, TimeProvider time, ILogger logger)
    {
        _sink = sink;
        _options = options;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<Corev1Event>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Events dropped because the queue was full (or the recorder stopped).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public long Created => Interlocked.Read(ref _created);

    /// <summary>Repeats folded into an existing Event.</summary>
    public long Patched => Interlocked.Read(ref _patched);

    /// <summary>Events given up after <see cref="EventRecorderOptions.MaxAttempts"/> failed writes.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Starts the writer task.</summary>
    public void Start() => _writer ??= Task.Run(WriteLoopAsync, CancellationToken.None);

    public void Event(V1ObjectReference involvedObject, string type, string reason, string message)
    {
        var now = _time.GetUtcNow();
        // Event timestamps are metav1.Time: whole seconds on the wire, as Go writes them.
        var stamp = new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = $"{involvedObject.Name}.{UniqueNanos(now):x}",
                NamespaceProperty = string.IsNullOrEmpty(involvedObject.NamespaceProperty) ? "default" : involvedObject.NamespaceProperty,
            },
            InvolvedObject = involvedObject,
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = _options.Component, Host = string.IsNullOrEmpty(_options.Host) ? null : _options.Host },
            ReportingComponent = _options.Component,
            ReportingInstance = _options.Host,
            FirstTimestamp = stamp,
            LastTimestamp = stamp,
            Count = 1,
        };
        if (!_queue.Writer.TryWrite(ev))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    // Names must be unique even when the clock does not move between two events (fake time, coarse clocks).
    private long UniqueNanos(DateTimeOffset now)
    {
        var nanos = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        lock (_nameLock)
        {
            _lastNanos = Math.Max(nanos, _lastNanos + 1);
            return _lastNanos;
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var ev in _queue.Reader.ReadAllAsync(_abort.Token).ConfigureAwait(false))
            {
                await RecordAsync(ev, _abort.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
    }

    private async Task RecordAsync(Corev1Event ev, CancellationToken cancellationToken)
    {
        var key = FoldKey(ev);
        var now = ev.LastTimestamp ?? _time.GetUtcNow().UtcDateTime;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (_seen.TryGetValue(key, out var node) && now - node.Value.LastTimestamp <= _options.FoldWindow)
                {
                    var folded = node.Value;
                    var patched = await _sink.PatchCountAsync(folded.Namespace, folded.Name, folded.Count + 1, now, cancellationToken).ConfigureAwait(false);
                    if (patched is not null)
                    {
                        folded.Count++;
                        folded.LastTimestamp = now;
                        _lru.Remove(node);
                        _lru.AddFirst(node);
                        Interlocked.Increment(ref _patched);
                        return;
                    }

                    // Deleted meanwhile (events expire): start a new Event.
                    Forget(key);
                }

                var created = await _sink.CreateAsync(ev, cancellationToken).ConfigureAwait(false);
                Remember(key, new Folded(created.Metadata?.NamespaceProperty ?? ev.Metadata.NamespaceProperty, created.Metadata?.Name ?? ev.Metadata.Name, created.Count ?? 1, now));
                Interlocked.Increment(ref _created);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                if (attempt >= _options.MaxAttempts)
                {
                    Interlocked.Increment(ref _failed);
                    Log.WriteFailed(_logger, ev.Reason, ev.InvolvedObject?.Kind, ev.InvolvedObject?.NamespaceProperty, ev.InvolvedObject?.Name, attempt, e);
                    return;
                }

                await Task.Delay(_options.RetryDelay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string FoldKey(Corev1Event ev)
    {
        var o = ev.InvolvedObject;
        return string.Join(
            '\u0000',
            ev.Source?.Component,
            ev.Source?.Host,
            o?.ApiVersion,
            o?.Kind,
            o?.NamespaceProperty,
            o?.Name,
            o?.Uid,
            o?.FieldPath,
            ev.Type,
            ev.Reason,
            ev.Message);
    }

    private void Remember(string key, Folded folded)
    {
        Forget(key);
        _seen[key] = _lru.AddFirst(folded with { Key = key });
        while (_lru.Count > _options.CacheSize)
        {
            var last = _lru.Last!;
            _lru.RemoveLast();
            _seen.Remove(last.Value.Key);
        }
    }

    private void Forget(string key)
    {
        if (_seen.Remove(key, out var node))
        {
            _lru.Remove(node);
        }
    }

    /// <summary>
    /// Stops accepting events, writes what is queued, and returns; if <paramref name="cancellationToken"/>
    /// is cancelled first, abandons the rest (counted as dropped).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_writer is null)
        {
            return;
        }

        try
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            while (_queue.Reader.TryRead(out _))
            {
                Interlocked.Increment(ref _dropped);
            }

            await _writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _abort.CancelAsync().ConfigureAwait(false);
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _abort.Dispose();
    }

    private sealed record Folded(string Namespace, string Name, int Count, DateTime LastTimestamp)
    {
        public string Key { get; init; } = "";

        public int Count { get; set; } = Count;

        public DateTime LastTimestamp { get; set; } = LastTimestamp;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "dropping event {Reason} on {Kind} {Namespace}/{Name} after {Attempts} failed writes")]
        public static partial void WriteFailed(ILogger logger, string? reason, string? kind, string? @namespace, string? name, int attempts, Exception exception);
    }
}
