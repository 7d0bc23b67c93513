using System.Runtime.ExceptionServices;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;
using Kubesharp.Controllers.ReplicaSet;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>Placing and removing daemon pods: upstream's <c>manage</c>, <c>podsShouldBeOnNode</c> and <c>syncNodes</c>.</summary>
internal sealed partial class DaemonSetController
{
    /// <summary>Upstream's <c>manage</c>: pods to create on nodes that lack one, pods to delete where they do not belong.</summary>
    private async Task ManageAsync(V1DaemonSet ds, List<V1Node> nodes, string hash, CancellationToken cancellationToken)
    {
        var nodeToPods = await NodesToDaemonPodsAsync(ds, includeDeletedTerminal: false, cancellationToken).ConfigureAwait(false);
        var nodesNeedingPods = new List<string>();
        var podsToDelete = new List<string>();
        foreach (var node in nodes)
        {
            var (create, delete) = PodsShouldBeOnNode(node, nodeToPods, ds, hash);
            nodesNeedingPods.AddRange(create);
            podsToDelete.AddRange(delete);
        }

        // Pods meant for nodes that no longer exist are never scheduled, so the pod GC never removes them.
        podsToDelete.AddRange(UnscheduledPodsWithoutNode(nodes, nodeToPods));
        await SyncNodesAsync(ds, podsToDelete, nodesNeedingPods, hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Upstream's <c>podsShouldBeOnNode</c>: the node needs a pod (its name returned), or these pods must go.</summary>
    internal (List<string> NodesNeedingPods, List<string> PodsToDelete) PodsShouldBeOnNode(V1Node node, Dictionary<string, List<V1Pod>> nodeToPods, V1DaemonSet ds, string hash)
    {
        var create = new List<string>();
        var delete = new List<string>();
        var nodeName = node.Metadata.Name;
        var (shouldRun, shouldContinueRunning) = NodeEligibility.ShouldRun(node, ds);
        var exists = nodeToPods.TryGetValue(nodeName, out var daemonPods);
        daemonPods ??= [];

        if (shouldRun && !exists)
        {
            create.Add(nodeName);
        }
        else if (shouldContinueRunning)
        {
            var running = new List<V1Pod>();
            foreach (var pod in daemonPods)
            {
                if (pod.Metadata.DeletionTimestamp is not null)
                {
                    continue;
                }

                if (pod.Status?.Phase == Pods.Failed)
                {
                    // The kubelet may keep refusing the pod: back off rather than fight it in a hot loop.
                    var backoffKey = $"{ds.Metadata.Uid}/{ds.Status?.ObservedGeneration ?? 0}/{nodeName}";
                    var now = Time.GetUtcNow();
                    if (Backoff.IsInBackoffSinceUpdate(backoffKey, now))
                    {
                        var delay = Backoff.Get(backoffKey);
                        Log.FailedPodInBackoff(Logger, pod.Metadata.Name, nodeName, delay);
                        Queue.AddAfter(ObjectKeys.For(ds), delay);
                        continue;
                    }

                    Backoff.Next(backoffKey, now);
                    _recorder.Event(ds, EventTypes.Warning, FailedDaemonPodReason, $"Found failed daemon pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} on node {nodeName}, will try to kill it");
                    delete.Add(pod.Metadata.Name);
                }
                else if (pod.Status?.Phase == Pods.Succeeded)
                {
                    _recorder.Event(ds, EventTypes.Normal, SucceededDaemonPodReason, $"Found succeeded daemon pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} on node {nodeName}, will try to delete it");
                    delete.Add(pod.Metadata.Name);
                }
                else
                {
                    running.Add(pod);
                }
            }

            if (!DaemonPods.AllowsSurge(ds))
            {
                // Without surge, one pod per node: the oldest (scheduled first) stays.
                if (running.Count > 1)
                {
                    running.Sort(ByCreationTimestampAndPhase);
                    delete.AddRange(running.Skip(1).Select(p => p.Metadata.Name));
                }
            }
            else if (running.Count == 0)
            {
                if (shouldRun)
                {
                    create.Add(nodeName);
                }
            }
            else if (running.Count > 1)
            {
                // With surge, an old and a new pod may share the node while the new one is not yet available;
                // of each kind the oldest stays, and the old one goes once the new one is available (or it is not ready).
                running.Sort(ByCreationTimestampAndPhase);
                V1Pod? oldestNew = null, oldestOld = null;
                foreach (var pod in running)
                {
                    if (ControllerRevisions.Label(pod, ControllerRevisions.PodRevisionLabel) == hash)
                    {
                        if (oldestNew is null)
                        {
                            oldestNew = pod;
                            continue;
                        }
                    }
                    else if (oldestOld is null)
                    {
                        oldestOld = pod;
                        continue;
                    }

                    delete.Add(pod.Metadata.Name);
                }

                if (oldestNew is not null && oldestOld is not null
                    && (!Pods.IsReady(oldestOld) || Pods.IsAvailable(oldestNew, ds.Spec?.MinReadySeconds ?? 0, Time.GetUtcNow())))
                {
                    delete.Add(oldestOld.Metadata.Name);
                }
            }
        }
        else if (exists)
        {
            // The node should not run the pod (any more): all of them go.
            delete.AddRange(daemonPods.Where(p => p.Metadata.DeletionTimestamp is null).Select(p => p.Metadata.Name));
        }

        return (create, delete);
    }

    private static IEnumerable<string> UnscheduledPodsWithoutNode(List<V1Node> nodes, Dictionary<string, List<V1Pod>> nodeToPods)
    {
        var running = nodes.Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        return nodeToPods
            .Where(kv => !running.Contains(kv.Key))
            .SelectMany(kv => kv.Value)
            .Where(p => string.IsNullOrEmpty(p.Spec?.NodeName))
            .Select(p => p.Metadata.Name);
    }

    /// <summary>
    /// Upstream's <c>syncNodes</c>: creates a pod for each node (each with its node affinity) in slow-start batches
    /// and deletes the named pods, at most <see cref="BurstReplicas"/> of each, expecting all of it first.
    /// </summary>
    internal async Task SyncNodesAsync(V1DaemonSet ds, List<string> podsToDelete, List<string> nodesNeedingPods, string hash, CancellationToken cancellationToken)
    {
        var key = ObjectKeys.For(ds);
        var ns = ds.Metadata.NamespaceProperty;
        var createDiff = Math.Min(nodesNeedingPods.Count, _burstReplicas);
        var deleteDiff = Math.Min(podsToDelete.Count, _burstReplicas);
        var deleting = podsToDelete.Take(deleteDiff).ToList();
        // Expect before acting: the informer may deliver a pod before its create call returns.
        Expectations.Expect(key, createDiff, deleting.Select(name => ns + "/" + name));

        var errors = new List<Exception>();
        if (createDiff > 0)
        {
            var template = DaemonPods.PodTemplate(ds.Spec?.Template, DaemonPods.TemplateGeneration(ds), hash);
            var controllerRef = Objects.ControllerRef(ds, ApiVersion, Kind);
            var next = -1;
            var (successes, error) = await SlowStart.RunAsync(createDiff, 1, async ct =>
            {
                var node = nodesNeedingPods[Interlocked.Increment(ref next)];
                var podTemplate = Objects.DeepCopy(template);
                podTemplate.Spec.Affinity = DaemonPods.ReplaceNodeNameAffinity(podTemplate.Spec.Affinity, node);
                try
                {
                    await _podControl.CreatePodAsync(ns, podTemplate, ds, controllerRef, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (ApiErrors.HasStatusCause(e, ApiErrors.NamespaceTerminatingCause))
                {
                    // Every create in a terminating namespace fails; there is nothing to retry.
                }
            }, cancellationToken).ConfigureAwait(false);

            // Creates that failed or were never attempted will never be observed.
            if (createDiff - successes > 0)
            {
                Log.SlowStartSkipped(Logger, createDiff - successes, key);
                Expectations.Lower(key, createDiff - successes, 0);
            }

            if (error is not null)
            {
                errors.Add(error);
            }
        }

        var deleteErrors = await Task.WhenAll(deleting.Select(async name =>
        {
            try
            {
                await _podControl.DeletePodAsync(ns, name, ds, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The informer will not observe this deletion.
                Expectations.DeletionObserved(key, ns + "/" + name);
                return ApiErrors.IsNotFound(e) ? null : e;
            }
        })).ConfigureAwait(false);
        errors.AddRange(deleteErrors.OfType<Exception>());

        if (errors.Count == 1)
        {
            ExceptionDispatchInfo.Throw(errors[0]);
        }
        else if (errors.Count > 1)
        {
            throw new AggregateException(errors);
        }
    }

    /// <summary>Upstream's <c>podByCreationTimestampAndPhase</c>: scheduled pods first, then the oldest, then by name.</summary>
    internal static int ByCreationTimestampAndPhase(V1Pod a, V1Pod b)
    {
        var scheduledA = !string.IsNullOrEmpty(a.Spec?.NodeName);
        var scheduledB = !string.IsNullOrEmpty(b.Spec?.NodeName);
        if (scheduledA != scheduledB)
        {
            return scheduledA ? -1 : 1;
        }

        var ta = a.Metadata.CreationTimestamp is { } x ? MetaTime.Utc(x) : DateTimeOffset.MinValue;
        var tb = b.Metadata.CreationTimestamp is { } y ? MetaTime.Utc(y) : DateTimeOffset.MinValue;
        return ta == tb ? string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name) : ta.CompareTo(tb);
    }
}
