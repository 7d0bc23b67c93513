using k8s;
using k8s.Models;
using Kubesharp.Client.Events;

namespace Kubesharp.Testing.Client;

/// <summary>
/// An in-memory <see cref="IEventSink"/>: keeps Events by namespace/name and records every call.
/// <see cref="FailNext"/> makes the next calls throw; <see cref="Gate"/>, when set, holds every call until
/// it completes (a slow API server). Thread-safe.
/// </summary>
public sealed class FakeEventSink : IEventSink
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Corev1Event> _events = new(StringComparer.Ordinal);
    private readonly List<string> _calls = [];
    private int _failNext;

    public Task? Gate { get; set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public IReadOnlyList<Corev1Event> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events.Values.Select(Copy)];
            }
        }
    }

    public void FailNext(int calls) => Interlocked.Exchange(ref _failNext, calls);

    /// <summary>Deletes an event, as the API's event TTL would.</summary>
    public void Delete(string ns, string name)
    {
        lock (_lock)
        {
            _events.Remove(ns + "/" + name);
        }
    }

    public async Task<Corev1Event> CreateAsync(Corev1Event ev, CancellationToken cancellationToken)
    {
        await Before("create " + ev.Metadata.Name, cancellationToken);
        lock (_lock)
        {
            var key = ev.Metadata.NamespaceProperty + "/" + ev.Metadata.Name;
            if (_events.ContainsKey(key))
            {
                throw new InvalidOperationException("fake: event already exists: " + key);
            }

            _events[key] = Copy(ev);
            return Copy(ev);
        }
    }

    public async Task<Corev1Event?> PatchCountAsync(string ns, string name, int count, DateTime lastTimestamp, CancellationToken cancellationToken)
    {
        await Before("patch " + name + " count=" + count, cancellationToken);
        lock (_lock)
        {
            if (!_events.TryGetValue(ns + "/" + name, out var ev))
            {
                return null;
            }

            ev.Count = count;
            ev.LastTimestamp = lastTimestamp;
            return Copy(ev);
        }
    }

    private async Task Before(string call, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _calls.Add(call);
        }

        if (Gate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            throw new HttpRequestException("fake: write failed");
        }

        Interlocked.Exchange(ref _failNext, Math.Max(0, Volatile.Read(ref _failNext)));
    }

    private static Corev1Event Copy(Corev1Event ev) => KubernetesJson.Deserialize<Corev1Event>(KubernetesJson.Serialize(ev));
}
