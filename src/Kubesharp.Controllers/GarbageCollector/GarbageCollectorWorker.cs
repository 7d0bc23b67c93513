using k8s;
using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.GarbageCollector;

/// <summary>
/// The garbage collector's decisions (upstream's attemptToDeleteItem and attemptToOrphanWorker), each from live
/// reads, never from the graph alone: the graph says whom to look at, the API says what is true.
/// <list type="bullet">
/// <item><c>d/UID</c> on a virtual node: read the owner; absent (404 or another uid) marks it absent and queues
/// its dependents; present means a monitor has not shown it yet: look again shortly.</item>
/// <item><c>d/UID</c> on an object being deleted with <c>foregroundDeletion</c>: if no dependent blocks it
/// (<c>blockOwnerDeletion</c>), remove the finalizer (the object then goes); else queue the blocking dependents.</item>
/// <item><c>d/UID</c> on any other object with owners: classify each owner reference by a live read (absent-owner
/// cache first): dangling (gone or another uid), waiting (owner deleting in the foreground), or solid. With a
/// solid owner, remove the dangling and waiting references. With owners waiting and dependents of its own,
/// delete it in the foreground. Otherwise delete it: with the policy its own finalizers ask for, else in the
/// background. Deletes carry a uid precondition.</item>
/// <item><c>o/UID</c>: remove the reference to the owner from each of its dependents, then the owner's
/// <c>orphan</c> finalizer.</item>
/// </list>
/// Failures throw and the queue retries with back-off.
/// </summary>
internal sealed partial class GarbageCollectorWorker(DependencyGraph graph, AbsentOwnerCache absent, IDynamicApi api, Action<string> attemptToDelete, ILogger logger)
{
    private const int PatchAttempts = 5;

    /// <summary>The resources as last discovered (set by the monitor resync); a kind not found triggers no guess.</summary>
    public DiscoveryResult Discovery { get; set; } = new([], new Dictionary<string, string>());

    /// <summary>How soon a virtual node whose owner exists is looked at again, while a monitor catches up.</summary>
    public TimeSpan UnobservedRecheck { get; init; } = TimeSpan.FromSeconds(1);

    public Task<ReconcileResult> ProcessAsync(string key, CancellationToken cancellationToken) =>
        key.StartsWith("o/", StringComparison.Ordinal) ? OrphanAsync(key[2..], cancellationToken)
        : key.StartsWith("d/", StringComparison.Ordinal) ? AttemptToDeleteAsync(key[2..], cancellationToken)
        : Task.FromResult(ReconcileResult.Done);

    private async Task<ReconcileResult> AttemptToDeleteAsync(string uid, CancellationToken cancellationToken)
    {
        if (graph.Snapshot(uid) is not { } item)
        {
            return ReconcileResult.Done;
        }

        if (!item.Observed)
        {
            return await VerifyVirtualAsync(item, cancellationToken).ConfigureAwait(false);
        }

        if (item.BeingDeleted && !item.DeletingDependents)
        {
            // On its way out: its dependents are judged when it is gone.
            return ReconcileResult.Done;
        }

        var resource = Resolve(item.Identity.ApiVersion, item.Identity.Kind);
        var latest = await api.GetAsync(resource, item.Identity.Namespace, item.Identity.Name, cancellationToken).ConfigureAwait(false);
        if (latest is null || latest.Metadata.Uid != uid)
        {
            // Its delete event is on the way from the monitor.
            return ReconcileResult.Done;
        }

        if (IsDeletingDependents(latest))
        {
            return await ProcessDeletingDependentsAsync(item, resource, latest, cancellationToken).ConfigureAwait(false);
        }

        if (latest.Metadata.DeletionTimestamp is not null)
        {
            // Already on its way out (the graph had not seen it yet): a delete now could only change its finalizers.
            return ReconcileResult.Done;
        }

        var references = latest.Metadata.OwnerReferences ?? [];
        if (references.Count == 0)
        {
            return ReconcileResult.Done;
        }

        var (solid, dangling, waiting, invalid) = await ClassifyAsync(item.Identity, references, cancellationToken).ConfigureAwait(false);
        if (invalid)
        {
            // A cluster-scoped object cannot have a namespaced owner; retrying would not change that.
            Log.InvalidOwner(logger, item.Identity);
            return ReconcileResult.Done;
        }

        if (solid.Count > 0)
        {
            if (dangling.Count == 0 && waiting.Count == 0)
            {
                return ReconcileResult.Done;
            }

            // Waiting references must go too, or their owners would wait for this object forever.
            var drop = dangling.Concat(waiting).Select(r => r.Uid).ToHashSet(StringComparer.Ordinal);
            Log.RemovingReferences(logger, item.Identity, drop);
            await PatchOwnerReferencesAsync(resource, item.Identity, refs => [.. refs.Where(r => !drop.Contains(r.Uid))], cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (waiting.Count > 0 && item.Dependents.Count > 0)
        {
            if (item.Dependents.Any(d => d.DeletingDependents))
            {
                // Upstream's cycle guard: stop blocking the waiting owners before deleting in the foreground.
                var unblock = waiting.Select(r => r.Uid).ToHashSet(StringComparer.Ordinal);
                await PatchOwnerReferencesAsync(resource, item.Identity, refs => [.. refs.Select(r => unblock.Contains(r.Uid) ? WithBlock(r, false) : r)], cancellationToken).ConfigureAwait(false);
            }

            Log.Deleting(logger, item.Identity, "Foreground");
            await DeleteAsync(resource, item.Identity, "Foreground", cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var finalizers = latest.Metadata.Finalizers ?? [];
        var policy = finalizers.Contains(DependencyGraph.OrphanFinalizer) ? "Orphan"
            : finalizers.Contains(DependencyGraph.ForegroundFinalizer) ? "Foreground"
            : "Background";
        Log.Deleting(logger, item.Identity, policy);
        await DeleteAsync(resource, item.Identity, policy, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> VerifyVirtualAsync(NodeSnapshot item, CancellationToken cancellationToken)
    {
        if (item.Absent)
        {
            graph.MarkAbsent(item.Identity.Uid);
            return ReconcileResult.Done;
        }

        var resource = Resolve(item.Identity.ApiVersion, item.Identity.Kind);
        var ns = resource.Namespaced ? item.Identity.Namespace : "";
        var owner = resource.Namespaced && ns.Length == 0
            ? null
            : await api.GetAsync(resource, ns, item.Identity.Name, cancellationToken).ConfigureAwait(false);
        if (owner is null || owner.Metadata.Uid != item.Identity.Uid)
        {
            absent.Add(AbsentOwnerCache.KeyOf(resource.Group, item.Identity.Kind, ns, item.Identity.Name, item.Identity.Uid));
            graph.MarkAbsent(item.Identity.Uid);
            return ReconcileResult.Done;
        }

        // It exists; a monitor will show it (and then this node is no longer virtual).
        return ReconcileResult.RequeueAfter(UnobservedRecheck);
    }

    private async Task<ReconcileResult> ProcessDeletingDependentsAsync(NodeSnapshot item, ApiResource resource, PartialObject latest, CancellationToken cancellationToken)
    {
        var blocking = item.Dependents.Where(d => d.Blocking).ToList();
        if (blocking.Count == 0)
        {
            Log.RemovingFinalizer(logger, DependencyGraph.ForegroundFinalizer, item.Identity);
            await RemoveFinalizerAsync(resource, item.Identity, DependencyGraph.ForegroundFinalizer, latest, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        foreach (var dependent in blocking)
        {
            if (!dependent.DeletingDependents)
            {
                attemptToDelete(dependent.Identity.Uid);
            }
        }

        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> OrphanAsync(string uid, CancellationToken cancellationToken)
    {
        if (graph.Snapshot(uid) is not { Observed: true } owner)
        {
            return ReconcileResult.Done;
        }

        foreach (var dependent in owner.Dependents)
        {
            var resource = Resolve(dependent.Identity.ApiVersion, dependent.Identity.Kind);
            await PatchOwnerReferencesAsync(resource, dependent.Identity, refs => [.. refs.Where(r => r.Uid != uid)], cancellationToken).ConfigureAwait(false);
        }

        var ownerResource = Resolve(owner.Identity.ApiVersion, owner.Identity.Kind);
        Log.RemovingFinalizer(logger, DependencyGraph.OrphanFinalizer, owner.Identity);
        await RemoveFinalizerAsync(ownerResource, owner.Identity, DependencyGraph.OrphanFinalizer, null, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task<(List<V1OwnerReference> Solid, List<V1OwnerReference> Dangling, List<V1OwnerReference> Waiting, bool Invalid)> ClassifyAsync(
        ObjectIdentity item, IList<V1OwnerReference> references, CancellationToken cancellationToken)
    {
        List<V1OwnerReference> solid = [], dangling = [], waiting = [];
        foreach (var reference in references)
        {
            var resource = Resolve(reference.ApiVersion, reference.Kind);
            if (item.Namespace.Length == 0 && resource.Namespaced)
            {
                return (solid, dangling, waiting, true);
            }

            var ns = resource.Namespaced ? item.Namespace : "";
            var key = AbsentOwnerCache.KeyOf(resource.Group, reference.Kind ?? "", ns, reference.Name ?? "", reference.Uid ?? "");
            if (absent.Has(key))
            {
                dangling.Add(reference);
                continue;
            }

            var owner = await api.GetAsync(resource, ns, reference.Name ?? "", cancellationToken).ConfigureAwait(false);
            if (owner is null || owner.Metadata.Uid != reference.Uid)
            {
                absent.Add(key);
                dangling.Add(reference);
            }
            else if (IsDeletingDependents(owner))
            {
                waiting.Add(reference);
            }
            else
            {
                solid.Add(reference);
            }
        }

        return (solid, dangling, waiting, false);
    }

    private async Task DeleteAsync(ApiResource resource, ObjectIdentity identity, string policy, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions { PropagationPolicy = policy, Preconditions = new V1Preconditions { Uid = identity.Uid } };
        try
        {
            await api.DeleteAsync(resource, identity.Namespace, identity.Name, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            // The uid precondition failed: another object now has that name; this one is gone.
        }
    }

    /// <summary>Rewrites the object's ownerReferences at its resourceVersion (a merge patch), reading again after a lost race.</summary>
    private async Task PatchOwnerReferencesAsync(ApiResource resource, ObjectIdentity identity, Func<IList<V1OwnerReference>, List<V1OwnerReference>> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var latest = await api.GetAsync(resource, identity.Namespace, identity.Name, cancellationToken).ConfigureAwait(false);
            if (latest is null || latest.Metadata.Uid != identity.Uid)
            {
                return;
            }

            var current = latest.Metadata.OwnerReferences ?? [];
            var wanted = change(current);
            if (SameReferences(current, wanted))
            {
                return;
            }

            var patch = MetadataPatch("ownerReferences", wanted.Count == 0 ? null : KubernetesJson.Serialize(wanted), latest.Metadata.ResourceVersion);
            try
            {
                await api.MergePatchAsync(resource, identity.Namespace, identity.Name, patch, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < PatchAttempts)
            {
            }
        }
    }

    private async Task RemoveFinalizerAsync(ApiResource resource, ObjectIdentity identity, string finalizer, PartialObject? known, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var latest = known ?? await api.GetAsync(resource, identity.Namespace, identity.Name, cancellationToken).ConfigureAwait(false);
            known = null;
            if (latest is null || latest.Metadata.Uid != identity.Uid)
            {
                return;
            }

            var finalizers = latest.Metadata.Finalizers ?? [];
            if (!finalizers.Contains(finalizer))
            {
                return;
            }

            var kept = finalizers.Where(f => f != finalizer).ToList();
            var patch = MetadataPatch("finalizers", kept.Count == 0 ? null : KubernetesJson.Serialize(kept), latest.Metadata.ResourceVersion);
            try
            {
                await api.MergePatchAsync(resource, identity.Namespace, identity.Name, patch, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < PatchAttempts)
            {
            }
        }
    }

    private ApiResource Resolve(string? apiVersion, string? kind) =>
        Discovery.Find(apiVersion, kind) ?? throw new InvalidOperationException($"no resource serves kind {kind} of {apiVersion} (yet): discovery will be read again");

    private static bool IsDeletingDependents(PartialObject obj) =>
        obj.Metadata.DeletionTimestamp is not null && obj.Metadata.Finalizers?.Contains(DependencyGraph.ForegroundFinalizer) == true;

    private static V1OwnerReference WithBlock(V1OwnerReference r, bool block) => new()
    {
        ApiVersion = r.ApiVersion,
        Kind = r.Kind,
        Name = r.Name,
        Uid = r.Uid,
        Controller = r.Controller,
        BlockOwnerDeletion = block,
    };

    private static bool SameReferences(IList<V1OwnerReference> a, List<V1OwnerReference> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Uid == p.Second.Uid && p.First.BlockOwnerDeletion == p.Second.BlockOwnerDeletion);

    private static string MetadataPatch(string field, string? json, string? resourceVersion) =>
        $$$"""{"metadata":{"{{{field}}}":{{{json ?? "null"}}},"resourceVersion":{{{System.Text.Json.JsonSerializer.Serialize(resourceVersion)}}}}}""";

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "garbage collector: deleting {Item} (propagationPolicy {Policy})")]
        public static partial void Deleting(ILogger logger, ObjectIdentity item, string policy);

        [LoggerMessage(Level = LogLevel.Information, Message = "garbage collector: removing owner references {Owners} from {Item}")]
        public static partial void RemovingReferences(ILogger logger, ObjectIdentity item, IEnumerable<string> owners);

        [LoggerMessage(Level = LogLevel.Information, Message = "garbage collector: removing finalizer {Finalizer} from {Item}")]
        public static partial void RemovingFinalizer(ILogger logger, string finalizer, ObjectIdentity item);

        [LoggerMessage(Level = LogLevel.Warning, Message = "garbage collector: {Item} is cluster-scoped but names a namespaced owner; left alone")]
        public static partial void InvalidOwner(ILogger logger, ObjectIdentity item);
    }
}
