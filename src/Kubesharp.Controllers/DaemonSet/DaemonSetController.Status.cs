using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>Status: upstream's <c>updateDaemonSetStatus</c> and <c>storeDaemonSetStatus</c>.</summary>
internal sealed partial class DaemonSetController
{
    /// <summary>The counts <c>kubectl rollout status</c> and <c>kubectl get ds</c> read.</summary>
    internal readonly record struct Counts(int Desired, int Current, int Misscheduled, int Ready, int Updated, int Available, int Unavailable);

    /// <summary>
    /// Counts, over the nodes, what should run and what does (the oldest pod of a node speaks for it), writes them
    /// when they changed, and asks for a resync after minReadySeconds while ready pods are not yet available.
    /// </summary>
    private async Task<ReconcileResult> UpdateStatusAsync(V1DaemonSet ds, List<V1Node> nodes, string hash, bool updateObservedGeneration, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, includeDeletedTerminal: false, cancellationToken).ConfigureAwait(false);
        var counts = CalculateStatus(ds, nodes, nodeToPods, hash, Time.GetUtcNow());
        await StoreStatusAsync(ds, counts, updateObservedGeneration, cancellationToken).ConfigureAwait(false);
        var minReady = ds.Spec?.MinReadySeconds ?? 0;
        return minReady > 0 && counts.Ready != counts.Available ? ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(minReady)) : ReconcileResult.Done;
    }

    internal static Counts CalculateStatus(V1DaemonSet ds, IEnumerable<V1Node> nodes, Dictionary<string, List<V1Pod>> nodeToPods, string hash, DateTimeOffset now)
    {
        int desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
        var generation = DaemonPods.TemplateGeneration(ds);
        var minReady = ds.Spec?.MinReadySeconds ?? 0;
        foreach (var node in nodes)
        {
            var shouldRun = NodeEligibility.ShouldRun(node, ds).ShouldRun;
            var scheduled = nodeToPods.TryGetValue(node.Metadata.Name, out var pods) && pods.Count > 0;
            if (!shouldRun)
            {
                if (scheduled)
                {
                    misscheduled++;
                }

                continue;
            }

            desired++;
            if (!scheduled)
            {
                continue;
            }

            current++;
            var pod = pods!.OrderBy(p => p, Comparer<V1Pod>.Create(ByCreationTimestampAndPhase)).First();
            if (Pods.IsReady(pod))
            {
                ready++;
                if (Pods.IsAvailable(pod, minReady, now))
                {
                    available++;
                }
            }

            if (DaemonPods.IsUpdated(pod, hash, generation))
            {
                updated++;
            }
        }

        return new Counts(desired, current, misscheduled, ready, updated, available, desired - available);
    }

    /// <summary>Upstream's <c>storeDaemonSetStatus</c>: no write when nothing changed; one retry on a fresh read.</summary>
    private async Task StoreStatusAsync(V1DaemonSet ds, Counts counts, bool updateObservedGeneration, CancellationToken cancellationToken)
    {
        var s = ds.Status;
        if (s is not null
            && s.DesiredNumberScheduled == counts.Desired
            && s.CurrentNumberScheduled == counts.Current
            && s.NumberMisscheduled == counts.Misscheduled
            && s.NumberReady == counts.Ready
            && (s.UpdatedNumberScheduled ?? 0) == counts.Updated
            && (s.NumberAvailable ?? 0) == counts.Available
            && (s.NumberUnavailable ?? 0) == counts.Unavailable
            && (s.ObservedGeneration ?? 0) >= Objects.Generation(ds))
        {
            return;
        }

        var target = Objects.DeepCopy(ds);
        for (var attempt = 0; ; attempt++)
        {
            target.Status ??= new V1DaemonSetStatus();
            if (updateObservedGeneration)
            {
                target.Status.ObservedGeneration = Objects.Generation(ds);
            }

            target.Status.DesiredNumberScheduled = counts.Desired;
            target.Status.CurrentNumberScheduled = counts.Current;
            target.Status.NumberMisscheduled = counts.Misscheduled;
            target.Status.NumberReady = counts.Ready;
            target.Status.UpdatedNumberScheduled = counts.Updated;
            target.Status.NumberAvailable = counts.Available;
            target.Status.NumberUnavailable = counts.Unavailable;
            try
            {
                await _client.UpdateDaemonSetStatusAsync(target, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (attempt < StatusUpdateRetries && !cancellationToken.IsCancellationRequested)
            {
                target = await _client.GetDaemonSetAsync(ds.Metadata.NamespaceProperty, ds.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
