using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>The RollingUpdate strategy: upstream's <c>rollingUpdate</c> (update.go), with and without surge.</summary>
internal sealed partial class DaemonSetController
{
    /// <summary>
    /// Without surge: deletes old pods (the manage pass then creates their replacements), every unavailable old pod
    /// at once and available ones only while fewer than maxUnavailable nodes are unavailable. With surge: creates a
    /// new pod beside each old one that is unavailable and beside at most maxSurge available old ones, and deletes
    /// an old pod once the new pod on its node is available.
    /// </summary>
    private async Task RollingUpdateAsync(V1DaemonSet ds, List<V1Node> nodes, string hash, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, includeDeletedTerminal: false, cancellationToken).ConfigureAwait(false);
        var (maxSurge, maxUnavailable, desired) = UpdatedDesiredNodeCounts(ds, nodes, nodeToPods);
        var now = Time.GetUtcNow();
        var minReady = ds.Spec?.MinReadySeconds ?? 0;
        var generation = DaemonPods.TemplateGeneration(ds);
        // Upstream walks a Go map (random order); node name order keeps our choice of candidates reproducible.
        var ordered = nodeToPods.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();

        if (maxSurge == 0)
        {
            var numUnavailable = 0;
            var allowedReplacements = new List<string>();
            var candidates = new List<string>();
            foreach (var (nodeName, pods) in ordered)
            {
                if (FindUpdatedPodsOnNode(pods, hash, generation) is not { } found)
                {
                    // More than one of a kind: the manage pass prunes the node first; count it unavailable.
                    numUnavailable++;
                    continue;
                }

                var (newPod, oldPod) = found;

                if ((oldPod is null && newPod is null) || (oldPod is not null && newPod is not null))
                {
                    numUnavailable++;
                }
                else if (newPod is not null)
                {
                    if (!Pods.IsAvailable(newPod, minReady, now))
                    {
                        numUnavailable++;
                    }
                }
                else if (!Pods.IsAvailable(oldPod!, minReady, now))
                {
                    // Already unavailable: replacing it costs nothing.
                    allowedReplacements.Add(oldPod!.Metadata.Name);
                    numUnavailable++;
                }
                else if (numUnavailable < maxUnavailable)
                {
                    candidates.Add(oldPod!.Metadata.Name);
                }
            }

            var remaining = Math.Clamp(maxUnavailable - numUnavailable, 0, candidates.Count);
            var toDelete = allowedReplacements.Concat(candidates.Take(remaining)).ToList();
            await SyncNodesAsync(ds, toDelete, [], hash, cancellationToken).ConfigureAwait(false);
            return;
        }

        var oldPodsToDelete = new List<string>();
        var shouldNotRunPodsToDelete = new List<string>();
        var candidateNewNodes = new List<string>();
        var allowedNewNodes = new List<string>();
        var numSurge = 0;
        var numAvailable = 0;
        foreach (var (nodeName, pods) in ordered)
        {
            if (FindUpdatedPodsOnNode(pods, hash, generation) is not { } found)
            {
                numSurge++;
                continue;
            }

            var (newPod, oldPod) = found;

            if (oldPod is not null ? Pods.IsAvailable(oldPod, minReady, now) : newPod is not null && Pods.IsAvailable(newPod, minReady, now))
            {
                numAvailable++;
            }

            if (oldPod is null)
            {
                // Nothing to roll here; the manage pass creates a pod if there is none.
                continue;
            }

            if (newPod is null)
            {
                var shouldRun = _nodes.Get(nodeName) is { } node && NodeEligibility.ShouldRun(node, ds).ShouldRun;
                if (!Pods.IsAvailable(oldPod, minReady, now))
                {
                    if (!shouldRun)
                    {
                        oldPodsToDelete.Add(oldPod.Metadata.Name);
                        continue;
                    }

                    allowedNewNodes.Add(nodeName);
                }
                else if (!shouldRun)
                {
                    shouldNotRunPodsToDelete.Add(oldPod.Metadata.Name);
                }
                else if (numSurge < maxSurge)
                {
                    candidateNewNodes.Add(nodeName);
                }

                continue;
            }

            // Already surged here: wait for the new pod, then the old one goes.
            if (!Pods.IsAvailable(newPod, minReady, now))
            {
                numSurge++;
                continue;
            }

            oldPodsToDelete.Add(oldPod.Metadata.Name);
        }

        // With surge the owner expects full availability: pods on nodes that no longer fit go only as
        // pods elsewhere become available.
        var deletable = Math.Min(numAvailable - desired, shouldNotRunPodsToDelete.Count);
        if (deletable > 0)
        {
            oldPodsToDelete.AddRange(shouldNotRunPodsToDelete.Take(deletable));
        }

        var remainingSurge = Math.Clamp(maxSurge - numSurge, 0, candidateNewNodes.Count);
        var newNodes = allowedNewNodes.Concat(candidateNewNodes.Take(remainingSurge)).ToList();
        await SyncNodesAsync(ds, oldPodsToDelete, newNodes, hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Upstream's <c>updatedDesiredNodeCounts</c>: (maxSurge, maxUnavailable, desired) over the nodes that should
    /// run the pod, each of which gets an entry in <paramref name="nodeToPods"/>. When both limits come to zero,
    /// maxUnavailable becomes 1.
    /// </summary>
    internal static (int MaxSurge, int MaxUnavailable, int Desired) UpdatedDesiredNodeCounts(V1DaemonSet ds, IEnumerable<V1Node> nodes, Dictionary<string, List<V1Pod>> nodeToPods)
    {
        var desired = 0;
        foreach (var node in nodes)
        {
            if (!NodeEligibility.ShouldRun(node, ds).ShouldRun)
            {
                continue;
            }

            desired++;
            nodeToPods.TryAdd(node.Metadata.Name, []);
        }

        var maxUnavailable = DaemonPods.UnavailableCount(ds, desired)
            ?? throw new InvalidOperationException($"couldn't get unavailable numbers: invalid value for MaxUnavailable: {ds.Spec?.UpdateStrategy?.RollingUpdate?.MaxUnavailable?.Value}");
        var maxSurge = DaemonPods.SurgeCount(ds, desired)
            ?? throw new InvalidOperationException($"couldn't get unavailable numbers: invalid value for MaxSurge: {ds.Spec?.UpdateStrategy?.RollingUpdate?.MaxSurge?.Value}");
        if (desired > 0 && maxUnavailable == 0 && maxSurge == 0)
        {
            maxUnavailable = 1;
        }

        return (maxSurge, maxUnavailable, desired);
    }

    /// <summary>
    /// Upstream's <c>findUpdatedPodsOnNode</c>: the node's new and old pod (either may be null), ignoring pods being
    /// deleted; null when there are two of a kind.
    /// </summary>
    internal static (V1Pod? New, V1Pod? Old)? FindUpdatedPodsOnNode(IEnumerable<V1Pod> pods, string hash, long? generation)
    {
        V1Pod? newPod = null, oldPod = null;
        foreach (var pod in pods)
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (DaemonPods.IsUpdated(pod, hash, generation))
            {
                if (newPod is not null)
                {
                    return null;
                }

                newPod = pod;
            }
            else
            {
                if (oldPod is not null)
                {
                    return null;
                }

                oldPod = pod;
            }
        }

        return (newPod, oldPod);
    }
}
