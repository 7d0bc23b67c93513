using Kubesharp.Kubelet.Cri;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Pods;

/// <summary>
/// Upstream's PLEG: lists the runtime's sandboxes and containers every relist period and tells the pod workers which
/// pods changed (a container started, exited or disappeared), so that a container that dies is noticed within about a
/// second. It also reports whether the runtime answers at all, and which pods the runtime has that no worker knows
/// (left over from pods deleted while the kubelet was away).
/// </summary>
public sealed partial class Relister(CriClient cri, TimeProvider time, ILogger logger)
{
    private Dictionary<string, string> _last = new(StringComparer.Ordinal);

    /// <summary>Whether the last relist reached the runtime.</summary>
    public bool Healthy { get; private set; } = true;

    /// <summary>The pod uids the runtime had at the last relist, with their ready sandboxes or containers.</summary>
    public IReadOnlySet<string> RuntimePods { get; private set; } = new HashSet<string>();

    public async Task RunAsync(TimeSpan period, Action<string> podChanged, Action<bool> healthChanged, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        do
        {
            try
            {
                var changed = await RelistAsync(cancellationToken).ConfigureAwait(false);
                if (!Healthy)
                {
                    Healthy = true;
                    healthChanged(true);
                }

                foreach (var uid in changed)
                {
                    podChanged(uid);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && CriClient.IsUnavailable(e))
            {
                if (Healthy)
                {
                    Healthy = false;
                    Log.RuntimeDown(logger, e.Message);
                    healthChanged(false);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>One relist: the pod uids whose sandboxes or containers changed state since the last one.</summary>
    public async Task<IReadOnlyList<string>> RelistAsync(CancellationToken cancellationToken)
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        var pods = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sandbox in await cri.ListPodSandboxesAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (sandbox.Labels.TryGetValue(RuntimeLabels.PodUid, out var uid))
            {
                current[$"{uid}/s/{sandbox.Id}"] = sandbox.State.ToString();
                pods.Add(uid);
            }
        }

        foreach (var container in await cri.ListContainersAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (container.Labels.TryGetValue(RuntimeLabels.PodUid, out var uid))
            {
                current[$"{uid}/c/{container.Id}"] = container.State.ToString();
                pods.Add(uid);
            }
        }

        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, state) in current)
        {
            if (!_last.TryGetValue(key, out var old) || old != state)
            {
                changed.Add(key[..key.IndexOf('/', StringComparison.Ordinal)]);
            }
        }

        foreach (var key in _last.Keys)
        {
            if (!current.ContainsKey(key))
            {
                changed.Add(key[..key.IndexOf('/', StringComparison.Ordinal)]);
            }
        }

        _last = current;
        RuntimePods = pods;
        return [.. changed];
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "container runtime is down: {Message}")]
        public static partial void RuntimeDown(ILogger logger, string message);
    }
}
