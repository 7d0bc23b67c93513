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
    private ILookup<string, (string Id, string State)> _sandboxes = Array.Empty<(string Id, string State)>().ToLookup(_ => "", StringComparer.Ordinal);
    private ILookup<string, (string Id, string State)> _containers = Array.Empty<(string Id, string State)>().ToLookup(_ => "", StringComparer.Ordinal);

    /// <summary>Whether the last relist reached the runtime.</summary>
    public bool Healthy { get; private set; } = true;

    /// <summary>The pod uids the runtime had at the last relist, with their ready sandboxes or containers.</summary>
    public IReadOnlySet<string> RuntimePods { get; private set; } = new HashSet<string>();

    /// <summary>
    /// Relists every <paramref name="period"/> until cancelled; <paramref name="podChanged"/> gets each changed pod's uid
    /// with its <see cref="PodRuntimeStatus.Fingerprint"/> as this relist saw it.
    /// </summary>
    public async Task RunAsync(TimeSpan period, Action<string, string> podChanged, Action<bool> healthChanged, CancellationToken cancellationToken)
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
                    podChanged(uid, Fingerprint(uid));
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: a call cut short ends as an RpcException (Cancelled), not as a cancellation.
                throw new OperationCanceledException(cancellationToken);
            }
            catch (Exception e)
            {
                // Any failure, not only "unavailable": a runtime coming back may first answer with other errors (a
                // closing transport, an internal error), and the loop must outlive them all, or the workers, which
                // wait for a healthy relist, would never sync again.
                if (Healthy)
                {
                    Healthy = false;
                    if (CriClient.IsUnavailable(e))
                    {
                        Log.RuntimeDown(logger, e.Message);
                    }
                    else
                    {
                        Log.RelistFailed(logger, e);
                    }

                    healthChanged(false);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The pod's <see cref="PodRuntimeStatus.Fingerprint"/> as the last relist saw it ("" when it had nothing).</summary>
    public string Fingerprint(string uid) => Fingerprints.Of(_sandboxes[uid], _containers[uid]);

    /// <summary>One relist: the pod uids whose sandboxes or containers changed state since the last one.</summary>
    public async Task<IReadOnlyList<string>> RelistAsync(CancellationToken cancellationToken)
    {
        var sandboxes = (await cri.ListPodSandboxesAsync(null, cancellationToken).ConfigureAwait(false))
            .Select(s => (Uid: s.Labels.GetValueOrDefault(RuntimeLabels.PodUid), s.Id, State: s.State.ToString()));
        var containers = (await cri.ListContainersAsync(null, cancellationToken).ConfigureAwait(false))
            .Select(c => (Uid: c.Labels.GetValueOrDefault(RuntimeLabels.PodUid), c.Id, State: c.State.ToString()));
        return Observe([.. sandboxes], [.. containers]);
    }

    /// <summary>Takes one relist's sandboxes and containers (with their pod uid label, if any) and returns the pods that changed.</summary>
    internal IReadOnlyList<string> Observe(IReadOnlyList<(string? Uid, string Id, string State)> sandboxes, IReadOnlyList<(string? Uid, string Id, string State)> containers)
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        var pods = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (uid, id, state) in sandboxes)
        {
            if (uid is not null)
            {
                current[$"{uid}/s/{id}"] = state;
                pods.Add(uid);
            }
        }

        foreach (var (uid, id, state) in containers)
        {
            if (uid is not null)
            {
                current[$"{uid}/c/{id}"] = state;
                pods.Add(uid);
            }
        }

        _sandboxes = sandboxes.Where(s => s.Uid is not null).ToLookup(s => s.Uid!, s => (s.Id, s.State), StringComparer.Ordinal);
        _containers = containers.Where(c => c.Uid is not null).ToLookup(c => c.Uid!, c => (c.Id, c.State), StringComparer.Ordinal);
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

        [LoggerMessage(Level = LogLevel.Warning, Message = "relisting the container runtime failed; retrying every relist period")]
        public static partial void RelistFailed(ILogger logger, Exception exception);
    }
}
