using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Crd;
using Kubesharp.Storage;

namespace Kubesharp.ApiServer.Rest;

/// <summary>
/// Upstream's namespace registry (pkg/registry/core/namespace): the first DELETE only marks the namespace
/// (deletionTimestamp, phase Terminating) and the namespace controller empties it; <c>spec.finalizers</c>
/// change only through <c>PUT namespaces/NAME/finalize</c>; the namespace goes once it is marked and both its
/// spec and metadata finalizers are empty. Creates in a terminating namespace are refused, as upstream's
/// NamespaceLifecycle admission does.
/// </summary>
internal sealed partial class RestHandler
{
    private const string FinalizeSubresource = "finalize";

    /// <summary>metav1.FinalizerOrphanDependents: the garbage collector orphans the dependents, then removes it.</summary>
    internal const string OrphanFinalizer = "orphan";

    /// <summary>metav1.FinalizerDeleteDependents: the garbage collector deletes the dependents, then removes it.</summary>
    internal const string ForegroundFinalizer = "foregroundDeletion";

    internal static bool IsNamespace(ResourceInfo resource) => resource.Group.Length == 0 && resource.Kind == "Namespace";

    private static JsonArray? SpecFinalizers(JsonObject obj) => (obj["spec"] as JsonObject)?["finalizers"] as JsonArray;

    private static bool HasSpecFinalizers(ResourceInfo resource, JsonObject obj) => IsNamespace(resource) && SpecFinalizers(obj) is { Count: > 0 };

    /// <summary>
    /// The namespace strategies' PrepareForUpdate: an update of the namespace itself (and of its status) keeps
    /// the stored <c>spec.finalizers</c>; only <c>/finalize</c> takes them from the request.
    /// </summary>
    private static void KeepNamespaceFinalizers(ResourceInfo resource, JsonObject stored, JsonObject updated, string? subresource)
    {
        if (!IsNamespace(resource) || subresource == FinalizeSubresource)
        {
            return;
        }

        var spec = updated["spec"] as JsonObject;
        if (SpecFinalizers(stored) is { } kept)
        {
            spec ??= [];
            updated["spec"] = spec;
            spec["finalizers"] = kept.DeepClone();
        }
        else
        {
            spec?.Remove("finalizers");
        }
    }

    /// <summary>
    /// Upstream's namespace Delete. The first delete marks the namespace (deletionTimestamp, phase Terminating,
    /// the garbage collector's finalizers as the options ask) and returns it; later deletes return it unchanged
    /// while <c>spec.finalizers</c> remain; once they are gone, the generic delete runs (metadata finalizers
    /// still hold it). Null when the namespace is gone; otherwise (object, held) as <see cref="DeleteOneAsync"/>.
    /// </summary>
    private async Task<(JsonObject Object, bool Held)?> MarkNamespaceAsync(ResourceInfo resource, string key, KeyValue current, JsonObject obj, JsonObject? options, CancellationToken cancellationToken)
    {
        var meta = ObjectJson.Metadata(obj);
        if (meta["deletionTimestamp"] is not null)
        {
            return HasSpecFinalizers(resource, obj) ? (obj, true) : null;
        }

        meta["deletionTimestamp"] = ObjectJson.Time(time.GetUtcNow());
        var status = obj["status"] as JsonObject ?? [];
        obj["status"] = status;
        status["phase"] = "Terminating";
        var finalizers = (meta["finalizers"] as JsonArray)?.Select(f => f?.GetValue<string>() ?? "").ToList() ?? [];
        var wanted = finalizers.Where(f => f is not OrphanFinalizer and not ForegroundFinalizer).ToList();
        if (ShouldHaveOrphanFinalizer(options, finalizers.Contains(OrphanFinalizer)))
        {
            wanted.Add(OrphanFinalizer);
        }

        if (ShouldHaveForegroundFinalizer(options, finalizers.Contains(ForegroundFinalizer)))
        {
            wanted.Add(ForegroundFinalizer);
        }

        if (!wanted.ToHashSet().SetEquals(finalizers))
        {
            meta["finalizers"] = new JsonArray([.. wanted.Select(f => (JsonNode)f)]);
        }

        if (IsDryRun(options))
        {
            return (obj, true);
        }

        var marked = await store.UpdateAsync(key, resource.ForStorage(ObjectJson.ToStorage(obj)), current.ModRevision, null, cancellationToken);
        if (marked.Status != WriteStatus.Ok)
        {
            // Lost a race: the caller reads again.
            return (obj, false);
        }

        meta["resourceVersion"] = marked.Revision.ToString(CultureInfo.InvariantCulture);
        return (obj, true);
    }

    // The namespace's own rules (upstream's shouldHaveOrphanFinalizer, shouldHaveDeleteDependentsFinalizer):
    // orphanDependents, else propagationPolicy, else what the namespace already had.
    private static bool ShouldHaveOrphanFinalizer(JsonObject? options, bool had) =>
        OrphanDependents(options) ?? (PropagationPolicy(options) is { } policy ? policy == "Orphan" : had);

    private static bool ShouldHaveForegroundFinalizer(JsonObject? options, bool had) =>
        OrphanDependents(options) is { } orphan ? !orphan : PropagationPolicy(options) is { } policy ? policy == "Foreground" : had;

    /// <summary>DeleteOptions.orphanDependents (deprecated, still honoured first), or null when absent.</summary>
    private static bool? OrphanDependents(JsonObject? options) =>
        options?["orphanDependents"] is JsonValue v && v.TryGetValue<bool>(out var orphan) ? orphan : null;

    /// <summary>DeleteOptions.propagationPolicy (Orphan, Background, Foreground), or null when absent.</summary>
    private static string? PropagationPolicy(JsonObject? options) => ObjectJson.String(options, "propagationPolicy");

    /// <summary>Upstream's NamespaceLifecycle admission: no new content in a namespace being terminated.</summary>
    private static void RefuseCreateInTerminating(ResourceInfo resource, string ns, string? name, ReadOnlySpan<byte> namespaceJson)
    {
        var nsObj = JsonNode.Parse(namespaceJson) as JsonObject;
        if (ObjectJson.String(nsObj?["status"] as JsonObject, "phase") != "Terminating")
        {
            return;
        }

        var why = $"unable to create new content in namespace {ns} because it is being terminated";
        var qualified = resource.Group.Length == 0 ? resource.Plural : $"{resource.Plural}.{resource.Group}";
        throw new StatusException(
            HttpStatusCode.Forbidden,
            "Forbidden",
            $"{qualified} \"{name}\" is forbidden: {why}",
            new StatusDetails(name, resource.Group, resource.Plural, null, [new StatusCause("NamespaceTerminating", $"namespace {ns} is being terminated", "metadata.namespace")]));
    }
}
