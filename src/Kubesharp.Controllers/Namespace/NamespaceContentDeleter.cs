using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.Namespace;

/// <summary>What one pass over a namespace's content found: seconds to wait before looking again (0: nothing pending), and the errors met.</summary>
public sealed record ContentDeletion(long EstimateSeconds, IReadOnlyList<string> Errors);

/// <summary>
/// Upstream's namespacedResourcesDeleter.deleteAllContent: discovers every namespaced resource that can be
/// deleted (custom resources included), deletes each one's objects in the namespace (deletecollection where the
/// resource serves it, else list and delete one by one, always with <c>propagationPolicy: Background</c> so that
/// no orphan finalizer holds anything back), then lists what remains. Remaining objects are fine while pods wait
/// out their grace period (the estimate) or finalizers hold them (15 s estimate); otherwise they are an error.
/// The namespace's deletion conditions are updated from what happened.
/// </summary>
public sealed class NamespaceContentDeleter(IDynamicApi dynamic, INamespaceApi namespaces, TimeProvider time)
{
    /// <summary>Upstream's finalizerEstimateSeconds: how long to assume finalizers take.</summary>
    public const long FinalizerEstimateSeconds = 15;

    private static readonly V1DeleteOptions Background = new() { PropagationPolicy = "Background" };

    /// <summary>
    /// One pass. <paramref name="ns"/> is updated in place with the new conditions and written through
    /// <c>/status</c> when they changed (a failure to write them is reported among the errors, not thrown).
    /// </summary>
    public async Task<ContentDeletion> DeleteAllContentAsync(V1Namespace ns, CancellationToken cancellationToken)
    {
        var name = ns.Metadata.Name;
        var deletedAt = ns.Metadata.DeletionTimestamp ?? time.GetUtcNow().UtcDateTime;
        var errors = new List<string>();
        var conditions = new NamespaceConditions();
        IReadOnlyList<ApiResource> resources = [];
        try
        {
            var discovery = await dynamic.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            resources = discovery.Resources;
            if (!discovery.Complete)
            {
                // Not fatal: delete what can be seen, as upstream does, and say what could not.
                var failed = discovery.FailedGroups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Value}");
                var message = $"unable to retrieve the complete list of server APIs: {string.Join(", ", failed)}";
                errors.Add(message);
                conditions.DiscoveryFailed($"Discovery failed for some groups, {discovery.FailedGroups.Count} failing: {message}");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            errors.Add(e.Message);
            conditions.DiscoveryFailed(e.Message);
        }

        var estimate = 0L;
        var byResource = new Dictionary<string, int>(StringComparer.Ordinal);
        var byFinalizer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var resource in resources.Where(r => r.Namespaced && r.Supports("delete")))
        {
            try
            {
                var (resourceEstimate, remaining, finalizers) = await DeleteResourceAsync(resource, name, deletedAt, cancellationToken).ConfigureAwait(false);
                estimate = Math.Max(estimate, resourceEstimate);
                if (remaining > 0)
                {
                    // Upstream prints "resource.group", so core resources read "pods.".
                    byResource[$"{resource.Plural}.{resource.Group}"] = remaining;
                    foreach (var (finalizer, count) in finalizers)
                    {
                        byFinalizer[finalizer] = byFinalizer.GetValueOrDefault(finalizer) + count;
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                errors.Add(e.Message);
                conditions.ContentDeletionFailed(e.Message);
            }
        }

        conditions.Remaining(byResource, byFinalizer);
        ns.Status ??= new V1NamespaceStatus();
        if (conditions.ApplyTo(ns.Status, WholeSeconds(time.GetUtcNow())))
        {
            try
            {
                var updated = await namespaces.UpdateStatusAsync(ns, cancellationToken).ConfigureAwait(false);
                ns.Metadata.ResourceVersion = updated.Metadata.ResourceVersion;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // As upstream: the conditions are reported on a later pass; the deletion goes on.
                errors.Add($"couldn't update status condition for namespace \"{name}\": {e.Message}");
            }
        }

        return new ContentDeletion(estimate, errors);
    }

    /// <summary>Upstream's deleteAllContentForGroupVersionResource: (estimate, remaining count, remaining per finalizer); throws when objects remain unexplained.</summary>
    private async Task<(long Estimate, int Remaining, Dictionary<string, int> Finalizers)> DeleteResourceAsync(ApiResource resource, string ns, DateTime deletedAt, CancellationToken cancellationToken)
    {
        var estimate = resource.Group.Length == 0 && resource.Plural == "pods" ? await EstimatePodsAsync(ns, deletedAt, cancellationToken).ConfigureAwait(false) : 0;
        var collected = false;
        if (resource.Supports("deletecollection"))
        {
            try
            {
                await dynamic.DeleteCollectionAsync(resource, ns, Background, cancellationToken).ConfigureAwait(false);
                collected = true;
            }
            catch (Exception e) when (ApiErrors.IsMethodNotSupported(e) || ApiErrors.IsNotFound(e))
            {
                // Discovery said otherwise; delete one by one.
            }
        }

        if (!resource.Supports("list"))
        {
            return (estimate, 0, []);
        }

        if (!collected)
        {
            foreach (var item in await dynamic.ListAsync(resource, ns, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await dynamic.DeleteAsync(resource, ns, item.Metadata.Name, Background, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (ApiErrors.IsMethodNotSupported(e))
                {
                    // Not deletable after all: it will show among what remains.
                }
            }
        }

        var left = await dynamic.ListAsync(resource, ns, cancellationToken).ConfigureAwait(false);
        if (left.Count == 0)
        {
            return (0, 0, []);
        }

        var finalizers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in left)
        {
            foreach (var f in item.Metadata.Finalizers ?? [])
            {
                finalizers[f] = finalizers.GetValueOrDefault(f) + 1;
            }
        }

        if (estimate != 0)
        {
            return (estimate, left.Count, finalizers);
        }

        if (finalizers.Count > 0)
        {
            return (FinalizerEstimateSeconds, left.Count, finalizers);
        }

        throw new InvalidOperationException($"unexpected items still remain in namespace: {ns} for gvr: {resource.Group}/{resource.Version}, Resource={resource.Plural}");
    }

    /// <summary>Upstream's estimateGracefulTerminationForPods: the longest grace period of the pods not yet terminal, unless that long has passed since the namespace was deleted.</summary>
    private async Task<long> EstimatePodsAsync(string ns, DateTime deletedAt, CancellationToken cancellationToken)
    {
        var estimate = 0L;
        foreach (var pod in await namespaces.ListPodsAsync(ns, cancellationToken).ConfigureAwait(false))
        {
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            if (pod.Spec?.TerminationGracePeriodSeconds is { } grace && grace > estimate)
            {
                estimate = grace;
            }
        }

        var since = time.GetUtcNow().UtcDateTime - deletedAt.ToUniversalTime();
        return since >= TimeSpan.FromSeconds(estimate) ? 0 : estimate;
    }

    private static DateTime WholeSeconds(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
