using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Endpoints;

/// <summary>
/// Upstream's <c>TriggerTimeTracker</c>: the value of the <c>endpoints.kubernetes.io/last-change-trigger-time</c>
/// annotation, the time of the earliest change (a pod's Ready condition transition, or the service's creation)
/// not yet reflected in a sync of the service. The first sync of a service answers its creation time.
/// As upstream, a pod that changes twice between two syncs is seen once (an accepted approximation).
/// Thread-safe for different services; one service must not be computed concurrently (the work queue's guarantee).
/// </summary>
internal sealed class TriggerTimeTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServiceState> _states = new(StringComparer.Ordinal);

    /// <summary>The trigger time to annotate, or null to leave the annotation out; remembers this sync's state.</summary>
    public DateTimeOffset? Compute(string ns, V1Service service, IReadOnlyList<V1Pod> pods)
    {
        var key = ns + "/" + service.Metadata.Name;
        ServiceState? state;
        lock (_lock)
        {
            _states.TryGetValue(key, out state);
        }

        DateTimeOffset? earliest = null;
        var podTimes = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (Pods.ReadyCondition(pod)?.LastTransitionTime is { } transition)
            {
                var time = MetaTime.Utc(transition);
                podTimes[pod.Metadata.Name] = time;
                if (state is null || !state.PodTimes.TryGetValue(pod.Metadata.Name, out var last) || time > last)
                {
                    earliest = Min(earliest, time);
                }
            }
        }

        DateTimeOffset? serviceTime = service.Metadata.CreationTimestamp is { } created ? MetaTime.Utc(created) : null;
        if (serviceTime is { } st && (state?.ServiceTime is not { } lastService || st > lastService))
        {
            earliest = Min(earliest, st);
        }

        lock (_lock)
        {
            _states[key] = new ServiceState(serviceTime, podTimes);
        }

        // A service seen for the first time: its creation.
        return state is null ? serviceTime : earliest;
    }

    public void DeleteService(string ns, string name)
    {
        lock (_lock)
        {
            _states.Remove(ns + "/" + name);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset? current, DateTimeOffset value) =>
        current is { } c && c <= value ? c : value;

    private sealed record ServiceState(DateTimeOffset? ServiceTime, Dictionary<string, DateTimeOffset> PodTimes);
}
